/**
 * The wire protocol, both directions, and the one parser of untrusted input. Imported by the server, the client
 * SDK, the demo and the tests. The seed's three client and three server messages are a contract; everything else
 * here is additive (a client that ignores unknown types and fields keeps working).
 */
import { ERROR_CODES, type ErrorCode } from "./events.js";
import { MAX_PEER_ID_LENGTH, MAX_REQUEST_ID_LENGTH, MAX_ROOM_NAME_LENGTH } from "./limits.js";

// ---- client -> server -------------------------------------------------------------------------------------

export interface RegisterMessage {
  type: "register";
  peer_id: string;
  /** Subscribe this socket to `peer_joined` / `peer_left`. */
  presence?: boolean;
  request_id?: string;
}
export interface ListPeersMessage {
  type: "list_peers";
  request_id?: string;
}
export interface RelayMessage {
  type: "relay";
  to: string;
  data: unknown;
  request_id?: string;
}
/** Only needed when the text differs from `PING_TEXT` (e.g. it carries a request_id); the exact text never wakes the room. */
export interface PingMessage {
  type: "ping";
  request_id?: string;
}
export type ClientMessage = RegisterMessage | ListPeersMessage | RelayMessage | PingMessage;
export type ClientMessageType = ClientMessage["type"];

// ---- server -> client -------------------------------------------------------------------------------------

export interface RegisteredMessage {
  type: "registered";
  peer_id: string;
  /** The other peers in the room, as `list_peers` would answer. */
  peers: string[];
  /** The room's presence revision this list is as of. */
  rev: number;
  request_id?: string;
}
export interface PeersMessage {
  type: "peers";
  peers: string[];
  rev: number;
  request_id?: string;
}
export interface RelayedMessage {
  type: "relay";
  from: string;
  data: unknown;
}
export interface PeerJoinedMessage {
  type: "peer_joined";
  peer_id: string;
  rev: number;
}
export interface PeerLeftMessage {
  type: "peer_left";
  peer_id: string;
  rev: number;
}
export interface PongMessage {
  type: "pong";
  request_id?: string;
}
export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  /** Human text naming what was wrong; not stable, match on `code`. */
  error: string;
  request_id?: string;
}
export type ServerMessage =
  | RegisteredMessage
  | PeersMessage
  | RelayedMessage
  | PeerJoinedMessage
  | PeerLeftMessage
  | PongMessage
  | ErrorMessage;
export type ServerMessageType = ServerMessage["type"];

export { ERROR_CODES, type ErrorCode } from "./events.js";

/** Keepalive: this exact text is answered with `PONG_TEXT` by the runtime without waking the room. */
export const PING_TEXT = '{"type":"ping"}';
export const PONG_TEXT = '{"type":"pong"}';

export {
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
} from "./close-codes.js";

const PEER_ID = /^[A-Za-z0-9_.:@-]+$/;
const ROOM_NAME = /^[A-Za-z0-9_.-]+$/;

/** The room a connection to `/` joins; `/rooms/<name>` joins `<name>`. */
export const DEFAULT_ROOM = "default";

export function isValidRoomName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ROOM_NAME_LENGTH && ROOM_NAME.test(value);
}

export function isValidPeerId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_PEER_ID_LENGTH && PEER_ID.test(value);
}

// ---- parsing ----------------------------------------------------------------------------------------------

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: ErrorMessage };

/**
 * Turns one incoming WebSocket frame into a typed message or a typed error. The error echoes the message's
 * `request_id` whenever one could be read.
 */
export function parseClientMessage(frame: string | ArrayBuffer, maxBytes: number): ParseResult {
  if (typeof frame !== "string") {
    return fail("binary_not_supported", "binary frames are not supported: send JSON text");
  }
  const bytes = utf8Length(frame, maxBytes);
  if (bytes > maxBytes) {
    return fail("message_too_large", `message is ${bytes} bytes, over the limit of ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (e) {
    return fail("invalid_json", `message is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("invalid_message", "message must be a JSON object");
  }
  const fields = value as Record<string, unknown>;
  const requestId = fields.request_id;
  if (requestId !== undefined && !isValidRequestId(requestId)) {
    return fail("invalid_message", `request_id must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`);
  }
  const result = parseFields(fields);
  // The request id is echoed by whatever answers the message, success or error.
  if (typeof requestId === "string") {
    if (result.ok) result.message.request_id = requestId;
    else result.error.request_id = requestId;
  }
  return result;
}

// No closures here: capturing the request id in per-message closures doubled the parser's cost.
function parseFields(fields: Record<string, unknown>): ParseResult {
  const type = fields.type;
  if (typeof type !== "string") return fail("invalid_message", 'message needs a string "type"');
  switch (type) {
    case "register": {
      if (!isValidPeerId(fields.peer_id)) return fail("invalid_peer_id", describePeerId("peer_id", fields.peer_id));
      const presence = fields.presence;
      if (presence !== undefined && typeof presence !== "boolean") {
        return fail("invalid_message", "presence must be true or false");
      }
      const message: RegisterMessage = { type, peer_id: fields.peer_id };
      if (presence !== undefined) message.presence = presence;
      return { ok: true, message };
    }
    case "list_peers":
      return { ok: true, message: { type } };
    case "relay": {
      if (!isValidPeerId(fields.to)) return fail("invalid_peer_id", describePeerId("to", fields.to));
      if (!("data" in fields)) return fail("invalid_message", 'relay needs a "data" field (any JSON)');
      return { ok: true, message: { type, to: fields.to, data: fields.data } };
    }
    case "ping":
      return { ok: true, message: { type } };
    default:
      return fail(
        "unknown_type",
        `unknown message type ${JSON.stringify(type.slice(0, 64))}: expected register, list_peers, relay or ping`,
      );
  }
}

/**
 * Reads one frame from the server, for clients: a typed message, or undefined for a frame that is not JSON, not
 * a message of this protocol, or of a type this version does not know (a newer server's addition, ignored).
 */
export function parseServerMessage(frame: unknown): ServerMessage | undefined {
  if (typeof frame !== "string") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return serverMessageOf(value as Record<string, unknown>);
}

function serverMessageOf(m: Record<string, unknown>): ServerMessage | undefined {
  switch (m.type) {
    case "registered":
      if (typeof m.peer_id !== "string" || !isStringArray(m.peers) || typeof m.rev !== "number") return undefined;
      return echo<RegisteredMessage>(m, { type: "registered", peer_id: m.peer_id, peers: m.peers, rev: m.rev });
    case "peers":
      if (!isStringArray(m.peers) || typeof m.rev !== "number") return undefined;
      return echo<PeersMessage>(m, { type: "peers", peers: m.peers, rev: m.rev });
    case "relay":
      if (typeof m.from !== "string" || !("data" in m)) return undefined;
      return { type: "relay", from: m.from, data: m.data };
    case "peer_joined":
      if (typeof m.peer_id !== "string" || typeof m.rev !== "number") return undefined;
      return { type: "peer_joined", peer_id: m.peer_id, rev: m.rev };
    case "peer_left":
      if (typeof m.peer_id !== "string" || typeof m.rev !== "number") return undefined;
      return { type: "peer_left", peer_id: m.peer_id, rev: m.rev };
    case "pong":
      return echo<PongMessage>(m, { type: "pong" });
    case "error": {
      if (typeof m.error !== "string") return undefined;
      // An error code this version does not know (a newer server's) still reaches the client, with its text.
      const code = isErrorCode(m.code) ? m.code : "internal_error";
      return echo<ErrorMessage>(m, { type: "error", code, error: m.error });
    }
    default:
      return undefined;
  }
}

/** Copies the answer's `request_id`, when it has one, onto `message`. */
function echo<M extends { request_id?: string }>(m: Record<string, unknown>, message: M): M {
  if (typeof m.request_id === "string") message.request_id = m.request_id;
  return message;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function isErrorCode(value: unknown): value is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(value);
}

export function errorMessage(code: ErrorCode, error: string, requestId?: string): ErrorMessage {
  const message: ErrorMessage = { type: "error", code, error };
  if (requestId !== undefined) message.request_id = requestId;
  return message;
}

function fail(code: ErrorCode, error: string): ParseResult {
  return { ok: false, error: errorMessage(code, error) };
}

function isValidRequestId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_REQUEST_ID_LENGTH;
}

function describePeerId(field: string, value: unknown): string {
  if (value === undefined) return `${field} is missing`;
  if (typeof value !== "string") return `${field} must be a string`;
  return `${field} must be 1 to ${MAX_PEER_ID_LENGTH} of A-Z a-z 0-9 _ - . : @ (got ${value.length} characters)`;
}

/**
 * The UTF-8 length of `text`, or a lower bound of it when that is enough to know it is within `limit`: every
 * UTF-16 unit encodes to 1 to 3 bytes, so a typical message is decided without encoding it.
 */
function utf8Length(text: string, limit: number): number {
  if (text.length * 3 <= limit) return text.length;
  return new TextEncoder().encode(text).length;
}
