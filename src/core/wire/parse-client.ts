/**
 * The one parser of untrusted input: a frame from a client, to a typed message or a typed error. Limits are
 * checked before the work they bound (size before parsing, nesting before the message is used).
 */

import { MAX_PEER_ID_LENGTH, MAX_REQUEST_ID_LENGTH } from "../config/limits.js";
import type { ErrorCode } from "./error-codes.js";
import {
  type ClientMessage,
  type ErrorMessage,
  errorMessage,
  isValidPeerId,
  type ListPeersMessage,
  type RegisterMessage,
  type RelayMessage,
} from "./protocol.js";

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: ErrorMessage };

export interface ParseLimits {
  maxMessageBytes: number;
  maxJsonDepth: number;
  maxMetaBytes: number;
  maxMetaDepth: number;
}

/** The most a page of `list_peers` may ask for. */
export const MAX_LIST_LIMIT = 10_000;

/** Why a frame is no JSON object at all: the same for every protocol, however each then says it. */
export class FrameProblem {
  constructor(
    readonly code: "binary_not_supported" | "message_too_large" | "invalid_json" | "invalid_message",
    readonly message: string,
  ) {}
}

/**
 * The checks every protocol makes of a frame first, each before the work it bounds: text, then its size, then JSON,
 * then an object. The fields, or why not (a class, so that success allocates nothing around the fields).
 */
export function readJsonObject(frame: string | ArrayBuffer, maxBytes: number): Record<string, unknown> | FrameProblem {
  if (typeof frame !== "string") {
    return new FrameProblem("binary_not_supported", "binary frames are not supported: send JSON text");
  }
  const bytes = utf8Length(frame, maxBytes);
  if (bytes > maxBytes) {
    return new FrameProblem("message_too_large", `message is ${bytes} bytes, over the limit of ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (e) {
    return new FrameProblem("invalid_json", `message is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return new FrameProblem("invalid_message", "message must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/**
 * Turns one incoming WebSocket frame into a typed message or a typed error. The error echoes the message's
 * `request_id` whenever one could be read.
 */
export function parseClientMessage(frame: string | ArrayBuffer, limits: ParseLimits): ParseResult {
  const { maxMessageBytes, maxJsonDepth } = limits;
  const fields = readJsonObject(frame, maxMessageBytes);
  if (fields instanceof FrameProblem) return fail(fields.code, fields.message);
  const requestId = fields.request_id;
  if (requestId !== undefined && !isValidRequestId(requestId)) {
    return fail("invalid_message", `request_id must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`);
  }
  // Only `data` travels on; other fields are read as strings, numbers or booleans, and unknown ones are dropped.
  const result = nestsDeeperThan(fields.data, maxJsonDepth, 2)
    ? fail("invalid_message", `message nests deeper than the limit of ${maxJsonDepth} objects and arrays`)
    : parseFields(fields, limits);
  // The request id is echoed by whatever answers the message, success or error.
  if (typeof requestId === "string") {
    if (result.ok) result.message.request_id = requestId;
    else result.error.request_id = requestId;
  }
  return result;
}

/**
 * The `request_id` of a frame read without parsing it, for answering a message that is refused before it is
 * parsed (over the rate: parsing is the work the rate bounds). Best effort: the first `"request_id": "..."` in the
 * text, without escapes; anything else reads as none.
 */
export function peekRequestId(frame: string | ArrayBuffer): string | undefined {
  if (typeof frame !== "string") return undefined;
  const key = frame.indexOf('"request_id"');
  if (key < 0) return undefined;
  let at = key + 12;
  while (frame[at] === " " || frame[at] === ":" || frame[at] === "\n" || frame[at] === "\t" || frame[at] === "\r") at++;
  if (frame[at] !== '"') return undefined;
  const end = frame.indexOf('"', at + 1);
  if (end < 0 || end - at - 1 > MAX_REQUEST_ID_LENGTH) return undefined;
  const id = frame.slice(at + 1, end);
  return id.length > 0 && !id.includes("\\") ? id : undefined;
}

/** A relay read in its canonical shape: its target, numbers, and its data as the JSON text it came as. */
export interface CanonicalRelay {
  to: string;
  /** The relayed value's JSON text, exactly as the client wrote it. */
  data: string;
  seq: number | undefined;
  requestId: string | undefined;
}

const RELAY_PREFIX = '{"type":"relay","to":"';
const SEQ_KEY = ',"seq":';
const REQUEST_ID_KEY = ',"request_id":"';
const DATA_KEY = ',"data":';
/** The longest `seq` read on the hot path: every safe integer has at most 16 digits. */
const MAX_SEQ_DIGITS = 16;

/**
 * The relay hot path: a frame written `{"type":"relay","to":"<id>","data":<json>}` (the way the SDK and most clients
 * write one), optionally with `"seq":<n>` after `to`, and `"request_id":"<id>"` just before or just after `data`
 * (the SDK writes `{"type":"relay","to":...,"seq":...,"request_id":...,"data":...}`), is read without parsing it
 * whole: only the data is parsed (it must be JSON, nested no deeper than the limit), and its text travels on as it
 * came, so the server never serializes it again. Undefined for any other shape or anything wrong, which
 * `parseClientMessage` then reads and words. A JSON text splits one way only, so when the data between the fixed
 * parts parses, the frame is exactly this object.
 */
export function readCanonicalRelay(frame: string | ArrayBuffer, limits: ParseLimits): CanonicalRelay | undefined {
  if (typeof frame !== "string" || !frame.startsWith(RELAY_PREFIX)) return undefined;
  if (utf8Length(frame, limits.maxMessageBytes) > limits.maxMessageBytes) return undefined;
  const toEnd = frame.indexOf('"', RELAY_PREFIX.length);
  const to = frame.slice(RELAY_PREFIX.length, toEnd);
  if (toEnd < 0 || !isValidPeerId(to)) return undefined;
  let at = toEnd + 1;
  let seq: number | undefined;
  if (frame.startsWith(SEQ_KEY, at)) {
    at += SEQ_KEY.length;
    let end = at;
    while (end < frame.length && end - at <= MAX_SEQ_DIGITS && isDigit(frame.charCodeAt(end))) end++;
    seq = Number(frame.slice(at, end));
    // No sign, no leading zero, no fraction: what the full parser would read as the same whole number from 1.
    if (end === at || frame.charCodeAt(at) === 48 || !Number.isSafeInteger(seq)) return undefined;
    at = end;
  }
  let requestId: string | undefined;
  if (frame.startsWith(REQUEST_ID_KEY, at)) {
    const end = frame.indexOf('"', at + REQUEST_ID_KEY.length);
    requestId = plainRequestId(frame, at + REQUEST_ID_KEY.length, end);
    if (requestId === undefined) return undefined;
    at = end + 1;
  }
  if (!frame.startsWith(DATA_KEY, at) || frame.charCodeAt(frame.length - 1) !== 125 /* } */) return undefined;
  const start = at + DATA_KEY.length;
  let end = frame.length - 1;
  if (requestId === undefined && frame.charCodeAt(end - 1) === 34 /* " */) {
    const key = frame.lastIndexOf(REQUEST_ID_KEY);
    if (key > start) {
      requestId = plainRequestId(frame, key + REQUEST_ID_KEY.length, end - 1);
      if (requestId !== undefined) end = key;
    }
  }
  const data = frame.slice(start, end);
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (nestsDeeperThan(value, limits.maxJsonDepth, 2)) return undefined;
  return { to, data, seq, requestId };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The request id between `start` and `end`, if it is one that needs no unescaping; else undefined. */
function plainRequestId(frame: string, start: number, end: number): string | undefined {
  if (end < 0) return undefined;
  const id = frame.slice(start, end);
  return isValidRequestId(id) && !id.includes("\\") && !id.includes('"') ? id : undefined;
}

// No closures here: capturing the request id in per-message closures doubled the parser's cost.
function parseFields(fields: Record<string, unknown>, limits: ParseLimits): ParseResult {
  const type = fields.type;
  if (typeof type !== "string") return fail("invalid_message", 'message needs a string "type"');
  switch (type) {
    case "register": {
      if (!isValidPeerId(fields.peer_id)) return fail("invalid_peer_id", describePeerId("peer_id", fields.peer_id));
      const { presence, resume_token: token, last_seq: lastSeq, meta, with_meta: withMeta } = fields;
      if (presence !== undefined && typeof presence !== "boolean") {
        return fail("invalid_message", "presence must be true or false");
      }
      if (withMeta !== undefined && typeof withMeta !== "boolean") {
        return fail("invalid_message", "with_meta must be true or false");
      }
      const metaProblem = meta === undefined || meta === null ? undefined : describeMeta(meta, limits);
      if (metaProblem !== undefined) return fail("invalid_message", metaProblem);
      if (token !== undefined && !isValidRequestId(token)) {
        return fail("invalid_message", `resume_token must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`);
      }
      if (lastSeq !== undefined && !(Number.isSafeInteger(lastSeq) && typeof lastSeq === "number" && lastSeq >= 0)) {
        return fail("invalid_message", "last_seq must be a whole number from 0");
      }
      const message: RegisterMessage = { type, peer_id: fields.peer_id };
      if (presence !== undefined) message.presence = presence;
      if (token !== undefined) message.resume_token = token;
      if (lastSeq !== undefined) message.last_seq = lastSeq;
      if (meta !== undefined && meta !== null) message.meta = meta;
      if (withMeta !== undefined) message.with_meta = withMeta;
      return { ok: true, message };
    }
    case "list_peers": {
      const { limit, after, with_meta: withMeta } = fields;
      const message: ListPeersMessage = { type };
      if (withMeta !== undefined) {
        if (typeof withMeta !== "boolean") return fail("invalid_message", "with_meta must be true or false");
        message.with_meta = withMeta;
      }
      if (limit !== undefined) {
        if (!Number.isInteger(limit) || typeof limit !== "number" || limit < 1 || limit > MAX_LIST_LIMIT) {
          return fail("invalid_message", `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
        }
        message.limit = limit;
      }
      if (after !== undefined) {
        if (!isValidPeerId(after)) return fail("invalid_peer_id", describePeerId("after", after));
        message.after = after;
      }
      return { ok: true, message };
    }
    case "relay": {
      if (!isValidPeerId(fields.to)) return fail("invalid_peer_id", describePeerId("to", fields.to));
      if (!("data" in fields)) return fail("invalid_message", 'relay needs a "data" field (any JSON)');
      const { seq } = fields;
      if (seq !== undefined && !isSeq(seq)) return fail("invalid_message", "seq must be a whole number from 1");
      const message: RelayMessage = { type, to: fields.to, data: fields.data };
      if (seq !== undefined) message.seq = seq;
      return { ok: true, message };
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
 * Whether `value` nests objects and arrays more than `max` deep (the message itself is depth 1). Walks the parsed
 * value, not the text, allocating nothing: a typical message is a handful of nodes (an SDP is one long string).
 * The recursion stops at `max + 1` levels, so a hostile value cannot exhaust the stack.
 */
export function nestsDeeperThan(value: unknown, max: number, depth = 1): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (depth > max) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (nestsDeeperThan(child, max, depth + 1)) return true;
    return false;
  }
  const fields = value as Record<string, unknown>;
  for (const key in fields) if (nestsDeeperThan(fields[key], max, depth + 1)) return true;
  return false;
}

/** Why `meta` is over its limits, or undefined when it is within them. */
export function describeMeta(meta: unknown, { maxMetaBytes, maxMetaDepth }: ParseLimits): string | undefined {
  if (nestsDeeperThan(meta, maxMetaDepth)) {
    return `meta nests deeper than the limit of ${maxMetaDepth} objects and arrays`;
  }
  const text = JSON.stringify(meta);
  const bytes = utf8Length(text, maxMetaBytes);
  if (bytes > maxMetaBytes) return `meta is ${bytes} bytes of JSON, over the limit of ${maxMetaBytes} bytes`;
  return undefined;
}

function fail(code: ErrorCode, error: string): ParseResult {
  return { ok: false, error: errorMessage(code, error) };
}

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
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
export function utf8Length(text: string, limit: number): number {
  if (text.length * 3 <= limit) return text.length;
  return new TextEncoder().encode(text).length;
}
