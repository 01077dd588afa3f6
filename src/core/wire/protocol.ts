/**
 * The wire protocol, both directions, and the one parser of untrusted input. Imported by the server, the client
 * SDK, the demo and the tests. The seed's three client and three server messages are a contract; everything else
 * here is additive (a client that ignores unknown types and fields keeps working).
 */

import { MAX_PEER_ID_LENGTH, MAX_ROOM_NAME_LENGTH } from "../config/limits.js";
import type { ErrorCode } from "./error-codes.js";

// ---- client -> server -------------------------------------------------------------------------------------

export interface RegisterMessage {
  type: "register";
  peer_id: string;
  /** Subscribe this socket to `peer_joined` / `peer_left`. */
  presence?: boolean;
  /**
   * The token of an earlier registration of `peer_id`: takes the id over (after a drop, or from a stale socket).
   * With an id nobody holds, one of a token's shape (22 base64url characters) becomes the id's token.
   */
  resume_token?: string;
  /**
   * With `resume_token`: the `seq` of the last relay received on the previous connection (0 for none). Relays the
   * server handed to that connection after it are delivered again; without it, all of them are.
   */
  last_seq?: number;
  /**
   * What others see of this peer beside its id (a name, an avatar, a game's rating): any JSON value, at most
   * `MAX_META_BYTES` (1 KiB) and `MAX_META_DEPTH` (4) deep. Carried in `peer_joined` and, for those that ask, in peer
   * lists. Readable by the server: it is what presence and lobbies show.
   */
  meta?: unknown;
  /** Answer with `peer_meta` beside `peers`: the `meta` of every listed peer that has one. */
  with_meta?: boolean;
  request_id?: string;
}
export interface ListPeersMessage {
  type: "list_peers";
  /** Answer with `peer_meta` beside `peers` (see `RegisterMessage.with_meta`). */
  with_meta?: boolean;
  /** At most this many peers, in id order (a page); the answer's `next` asks for the following page. */
  limit?: number;
  /** Only peers whose id sorts after this one. */
  after?: string;
  request_id?: string;
}
export interface RelayMessage {
  type: "relay";
  to: string;
  data: unknown;
  /**
   * The client's own number for this relay, from 1 and one more each time, kept across resumes: the server answers
   * with `ack`s, and a relay sent again that it already has is dropped, so a client may send again whatever it had
   * no `ack` for after a drop, and nothing arrives twice.
   */
  seq?: number;
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
  /** Asked for with `with_meta`: each listed peer's `meta`, for those that registered one. */
  peer_meta?: Record<string, unknown>;
  /** Register with it to take this id back after a drop; the newest one received is the one in force. */
  resume_token: string;
  /** This registration took the id over with a resume token; relays kept for it follow. */
  resumed?: boolean;
  /** With `resumed`: the highest `seq` of this peer's relays the server has; send again those after it. */
  acked?: number;
  /**
   * With `resumed`: true when every relay handed to the last connection after the `last_seq` given follows (none
   * was lost); false when some may be gone (the room lost them), so re-check what depends on them.
   */
  recovered?: boolean;
  request_id?: string;
}
export interface PeersMessage {
  type: "peers";
  peers: string[];
  rev: number;
  /** Asked for with `with_meta`: each listed peer's `meta`, for those that registered one. */
  peer_meta?: Record<string, unknown>;
  /** When a page (`limit`) was asked and more follow: pass it as `after` for the next page. */
  next?: string;
  request_id?: string;
}
export interface RelayedMessage {
  type: "relay";
  from: string;
  data: unknown;
  /** Numbers the relays this connection was handed, from 1: report the last one as `last_seq` when resuming. */
  seq?: number;
}
export interface PeerJoinedMessage {
  type: "peer_joined";
  peer_id: string;
  rev: number;
  /** The `meta` the peer registered with, when it has one. */
  meta?: unknown;
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
/** The server has every relay of this connection's peer numbered up to `seq` (cumulative; one per 16 relays). */
export interface AckMessage {
  type: "ack";
  seq: number;
}
export interface ErrorMessage {
  type: "error";
  code: ErrorCode;
  /** Human text naming what was wrong; not stable, match on `code`. */
  error: string;
  request_id?: string;
  /** `undeliverable`: the peer the relays were for, and how many were not delivered. */
  to?: string;
  count?: number;
  /**
   * On an answer to the client's relays (one with `to`): numbered with the relays handed to this connection, so
   * that `last_seq` counts it and a resume brings it back if a drop lost it.
   */
  seq?: number;
}
export type ServerMessage =
  | RegisteredMessage
  | PeersMessage
  | RelayedMessage
  | PeerJoinedMessage
  | PeerLeftMessage
  | PongMessage
  | AckMessage
  | ErrorMessage;
export type ServerMessageType = ServerMessage["type"];

export { ERROR_CODES, type ErrorCode } from "./error-codes.js";

/** Keepalive: this exact text is answered with `PONG_TEXT` by the runtime without waking the room. */
export const PING_TEXT = '{"type":"ping"}';
export const PONG_TEXT = '{"type":"pong"}';

export {
  CLOSE_IDLE,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_REPLACED,
  CLOSE_TRY_AGAIN_LATER,
} from "./close-codes.js";

const PEER_ID = /^[A-Za-z0-9_.:@-]+$/;
const ROOM_NAME = /^[A-Za-z0-9_.-]+$/;

/** The room a connection to `/` joins; `/rooms/<name>` joins `<name>`. */
export const DEFAULT_ROOM = "default";
/**
 * The WebSocket subprotocol of this protocol. Optional; a client that offers it (say, beside `bearer.<token>`)
 * gets it named in the answer.
 */
export const SUBPROTOCOL = "webrtc-signal";

export function isValidRoomName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ROOM_NAME_LENGTH && ROOM_NAME.test(value);
}

export function isValidPeerId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_PEER_ID_LENGTH && PEER_ID.test(value);
}

export function errorMessage(code: ErrorCode, error: string, requestId?: string): ErrorMessage {
  const message: ErrorMessage = { type: "error", code, error };
  if (requestId !== undefined) message.request_id = requestId;
  return message;
}

export { type ParseLimits, type ParseResult, parseClientMessage, peekRequestId } from "./parse-client.js";
export { parseServerMessage } from "./parse-server.js";
