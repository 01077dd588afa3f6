/**
 * PeerJS 1.5's server protocol (the `peer` package) <-> room commands and events. A PeerJS client registers by
 * connecting (`?id=&token=`; the host turns that into a `register` with the client's own token), then sends
 * `OFFER`, `ANSWER`, `CANDIDATE`, `LEAVE` and `EXPIRE` with a `dst`; they reach `dst` with `src` stamped by the server
 * and `payload` untouched. `{"type":"HEARTBEAT"}` is answered by the runtime.
 *
 * PeerJS treats any `ERROR` from the server as fatal (the peer is destroyed), so only what ends the connection is
 * said as one; what the original server passes over in silence (a bad frame, a LEAVE to nobody) stays silent here.
 */

import { MAX_PEER_ID_LENGTH } from "../../config/limits.js";
import type { Refusal } from "../../connection/admission.js";
import type { Codec, Decoded } from "../../room/codec.js";
import type { RoomCommand, RoomEvent } from "../../room/events.js";
import { roomError } from "../../room/events.js";
import { FrameProblem, nestsDeeperThan, readJsonObject } from "../../wire/parse-client.js";

/** What the runtime answers PeerJS's heartbeat with (PeerJS ignores a message it does not know). */
export const PEERJS_HEARTBEAT = '{"type":"HEARTBEAT"}';
/** A PeerJS token is kept as the registration's resume token, in the socket's attachment. */
const MAX_PEERJS_TOKEN_LENGTH = 64;
/** How long a message to a peer that is not connected waits for it, as the original server's expire_timeout. */
export const PEERJS_EXPIRE_MS = 5_000;
/** The original server's error texts, which PeerJS shows to its users. */
export const PEERJS_ERRORS = {
  invalidParameters: "No id, token, or key supplied to websocket server",
  invalidId: `Invalid id: 1 to ${MAX_PEER_ID_LENGTH} of A-Z a-z 0-9, with single spaces, _ or - between`,
  invalidToken: "Invalid token provided",
  limit: "Server has reached its concurrent user limit",
} as const;

const RELAYED = new Set(["OFFER", "ANSWER", "CANDIDATE", "LEAVE", "EXPIRE"]);
/** Kept for a peer that has not connected yet, as the original does; a LEAVE or EXPIRE to nobody is dropped. */
const KEPT_FOR_ABSENT = new Set(["OFFER", "ANSWER", "CANDIDATE"]);
/** PeerJS's own id rule (util.validateId): letters and digits, single spaces, underscores or dashes between. */
const PEERJS_ID = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;

export function isPeerjsId(id: unknown): id is string {
  return typeof id === "string" && id.length <= MAX_PEER_ID_LENGTH && PEERJS_ID.test(id);
}

/**
 * A PeerJS id as the room's peer id: PeerJS allows inner spaces, the room's ids do not, and PeerJS ids never hold
 * `:`, so a space travels as `:`.
 */
export function toRoomId(peerjsId: string): string {
  return peerjsId.replaceAll(" ", ":");
}

export function fromRoomId(roomId: string): string {
  return roomId.replaceAll(":", " ");
}

export const peerjsCodec: Codec = {
  name: "peerjs",
  // PeerJS sends {"type":"HEARTBEAT"} every 5 s: its silence means a client gone.
  heartbeats: true,
  decode(frame, limits): Decoded {
    const fields = readJsonObject(frame, limits.maxMessageBytes);
    if (fields instanceof FrameProblem) return fail(fields.code, fields.message);
    const { type, dst, payload } = fields;
    if (type === "HEARTBEAT") return { ok: true, command: { type: "ping" } };
    if (typeof type !== "string" || !RELAYED.has(type)) return fail("unknown_type", "not a PeerJS message");
    // LEAVE without a destination: the client is going; its close says so.
    if (dst === undefined && type === "LEAVE") return { ok: true, command: { type: "ping" } };
    if (!isPeerjsId(dst)) return fail("invalid_peer_id", "dst is not a PeerJS id");
    if (nestsDeeperThan(payload, limits.maxJsonDepth, 2)) return fail("invalid_message", "payload nests too deep");
    // What travels through the room: the PeerJS message without its `src`, as JSON text.
    const data = JSON.stringify({ type, dst, payload });
    return {
      ok: true,
      command: {
        type: "relay",
        to: toRoomId(dst),
        data,
        ...(KEPT_FOR_ABSENT.has(type) ? { keepFor: PEERJS_EXPIRE_MS } : {}),
      },
    };
  },
  peekRequestId: () => undefined,
  encode(event): string | undefined {
    return encodePeerjs(event);
  },
  connect(query) {
    return peerjsConnection(query.get("id"), query.get("token"));
  },
};

function encodePeerjs(event: Exclude<RoomEvent, { type: "disconnect" }>): string | undefined {
  switch (event.type) {
    case "registered":
      // A takeover by the same id and token is answered OPEN too (the original re-attached in silence).
      return '{"type":"OPEN"}';
    case "relay":
      // The relayed text is `{"type":...,"dst":...,"payload":...}`: the server's `src` goes in front of it.
      return `{"src":${JSON.stringify(fromRoomId(event.from))},${event.data.slice(1)}`;
    case "error":
      switch (event.code) {
        case "peer_id_taken":
          return JSON.stringify({ type: "ID-TAKEN", payload: { msg: "ID is taken" } });
        case "undeliverable":
          // The peer never came (or came back): PeerJS reports "Could not connect to peer".
          return JSON.stringify({ type: "EXPIRE", src: fromRoomId(event.to ?? "") });
        case "room_full":
          return JSON.stringify({ type: "ERROR", payload: { msg: PEERJS_ERRORS.limit } });
        case "forbidden":
        case "internal_error":
          return JSON.stringify({ type: "ERROR", payload: { msg: event.message } });
        default:
          return undefined;
      }
    default:
      return undefined;
  }
}

/**
 * What a PeerJS client's connection asks (`?id=&token=`): the registration to make on its behalf, or the refusal
 * the original server gives, said in a frame on a socket closed at once.
 */
export function peerjsConnection(
  id: string | null,
  token: string | null,
): { register: Extract<RoomCommand, { type: "register" }> } | { refusal: Refusal } {
  if (!id || !token) return refuse(PEERJS_ERRORS.invalidParameters);
  if (!isPeerjsId(id)) return refuse(PEERJS_ERRORS.invalidId);
  if (token.length > MAX_PEERJS_TOKEN_LENGTH) return refuse(PEERJS_ERRORS.invalidToken);
  return { register: { type: "register", peerId: toRoomId(id), presence: false, resumeToken: token, ownToken: token } };
}

function refuse(msg: string): { refusal: Refusal } {
  const frame = JSON.stringify({ type: "ERROR", payload: { msg } });
  return { refusal: { kind: "frame", frame, code: 1000, reason: "refused" } };
}

function fail(code: Parameters<typeof roomError>[0], message: string): Decoded {
  return { ok: false, error: roomError(code, message) };
}
