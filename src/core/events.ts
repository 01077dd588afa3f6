/**
 * What the room understands and what it says, in no wire format. A codec (codecs/*.ts) turns a protocol's frames
 * into `RoomCommand`s and `RoomEvent`s into its frames, so one room serves every protocol.
 */

/** Every reason a command can be refused, shared by all protocols; each codec words them its own way. */
export const ERROR_CODES = [
  "invalid_json",
  "invalid_message",
  "unknown_type",
  "binary_not_supported",
  "invalid_peer_id",
  "already_registered",
  "peer_id_taken",
  "not_registered",
  "unknown_peer",
  "message_too_large",
  "rate_limited",
  "room_full",
  "internal_error",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type RoomCommand =
  | { type: "register"; peerId: string; presence: boolean; requestId?: string }
  | { type: "list_peers"; requestId?: string }
  | { type: "relay"; to: string; data: unknown; requestId?: string }
  | { type: "ping"; requestId?: string };

export type RoomEvent =
  | { type: "registered"; peerId: string; peers: string[]; rev: number; requestId?: string }
  | { type: "peers"; peers: string[]; rev: number; requestId?: string }
  | { type: "relay"; from: string; data: unknown }
  | { type: "peer_joined"; peerId: string; rev: number }
  | { type: "peer_left"; peerId: string; rev: number }
  | { type: "pong"; requestId?: string }
  | RoomError;

export interface RoomError {
  type: "error";
  code: ErrorCode;
  /** Human text naming what was wrong and, where there is one, the limit and the actual value. */
  message: string;
  requestId?: string;
}

/**
 * One event for one connection. A broadcast is many of these sharing one `event` object, so that a codec can
 * encode it once.
 */
export interface Outbound<C> {
  to: C;
  event: RoomEvent;
}

export function roomError(code: ErrorCode, message: string, requestId?: string): RoomError {
  const error: RoomError = { type: "error", code, message };
  if (requestId !== undefined) error.requestId = requestId;
  return error;
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
