/** Reading the server's frames, for clients: never trusted further than their shape. */
import { ERROR_CODES, type ErrorCode } from "./error-codes.js";
import type { ErrorMessage, PeersMessage, PongMessage, RegisteredMessage, ServerMessage } from "./protocol.js";

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
      return echo<RegisteredMessage>(m, {
        type: "registered",
        peer_id: m.peer_id,
        peers: m.peers,
        rev: m.rev,
        resume_token: typeof m.resume_token === "string" ? m.resume_token : "",
        ...(m.resumed === true ? { resumed: true } : {}),
        ...(typeof m.acked === "number" && Number.isSafeInteger(m.acked) ? { acked: m.acked } : {}),
        ...(typeof m.recovered === "boolean" ? { recovered: m.recovered } : {}),
        ...peerMetaOf(m.peer_meta),
      });
    case "peers":
      if (!isStringArray(m.peers) || typeof m.rev !== "number") return undefined;
      return echo<PeersMessage>(m, {
        type: "peers",
        peers: m.peers,
        rev: m.rev,
        ...(typeof m.next === "string" ? { next: m.next } : {}),
        ...peerMetaOf(m.peer_meta),
      });
    case "relay":
      if (typeof m.from !== "string" || !("data" in m)) return undefined;
      return { type: "relay", from: m.from, data: m.data, ...(typeof m.seq === "number" ? { seq: m.seq } : {}) };
    case "peer_joined":
      if (typeof m.peer_id !== "string" || typeof m.rev !== "number") return undefined;
      return { type: "peer_joined", peer_id: m.peer_id, rev: m.rev, ...("meta" in m ? { meta: m.meta } : {}) };
    case "peer_left":
      if (typeof m.peer_id !== "string" || typeof m.rev !== "number") return undefined;
      return { type: "peer_left", peer_id: m.peer_id, rev: m.rev };
    case "pong":
      return echo<PongMessage>(m, { type: "pong" });
    case "ack":
      return typeof m.seq === "number" && Number.isSafeInteger(m.seq) ? { type: "ack", seq: m.seq } : undefined;
    case "error": {
      if (typeof m.error !== "string") return undefined;
      // An error code this version does not know (a newer server's) still reaches the client, with its text.
      const code = isErrorCode(m.code) ? m.code : "internal_error";
      return echo<ErrorMessage>(m, {
        type: "error",
        code,
        error: m.error,
        ...(typeof m.to === "string" ? { to: m.to } : {}),
        ...(typeof m.count === "number" ? { count: m.count } : {}),
        ...(typeof m.seq === "number" ? { seq: m.seq } : {}),
      });
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

function peerMetaOf(value: unknown): { peer_meta?: Record<string, unknown> } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  // No prototype: "__proto__" is a valid peer id, and a map of it must not reach Object.prototype.
  return { peer_meta: Object.assign(Object.create(null), value) as Record<string, unknown> };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function isErrorCode(value: unknown): value is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(value);
}
