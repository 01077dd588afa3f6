/** The seed's JSON protocol (docs/protocol.md) <-> room commands and events. */
import type { Codec, Decoded } from "../codec.js";
import { assertNever, type RoomCommand, type RoomEvent, roomError } from "../events.js";
import { type ClientMessage, parseClientMessage, type ServerMessage } from "../protocol.js";

export const seedCodec: Codec = {
  decode(frame: string | ArrayBuffer, maxBytes: number): Decoded {
    const parsed = parseClientMessage(frame, maxBytes);
    if (!parsed.ok) {
      const { code, error, request_id: requestId } = parsed.error;
      return { ok: false, error: roomError(code, error, requestId) };
    }
    return { ok: true, command: toCommand(parsed.message) };
  },
  encode(event: RoomEvent): string {
    return JSON.stringify(toServerMessage(event));
  },
};

function toCommand(message: ClientMessage): RoomCommand {
  const requestId = message.request_id;
  switch (message.type) {
    case "register":
      return { type: "register", peerId: message.peer_id, presence: message.presence ?? false, requestId };
    case "relay":
      return { type: "relay", to: message.to, data: message.data, requestId };
    case "list_peers":
    case "ping":
      return { type: message.type, requestId };
    default:
      return assertNever(message);
  }
}

export function toServerMessage(event: RoomEvent): ServerMessage {
  switch (event.type) {
    case "registered":
      return withRequestId({ type: "registered", peer_id: event.peerId, peers: event.peers, rev: event.rev }, event);
    case "peers":
      return withRequestId({ type: "peers", peers: event.peers, rev: event.rev }, event);
    case "relay":
      return { type: "relay", from: event.from, data: event.data };
    case "peer_joined":
    case "peer_left":
      return { type: event.type, peer_id: event.peerId, rev: event.rev };
    case "pong":
      return withRequestId({ type: "pong" }, event);
    case "error":
      return withRequestId({ type: "error", code: event.code, error: event.message }, event);
    default:
      return assertNever(event);
  }
}

/** Echoes the request id only when there is one: the seed's answers carry no `request_id` key otherwise. */
function withRequestId<M extends ServerMessage & { request_id?: string }>(
  message: M,
  event: { requestId?: string },
): M {
  if (event.requestId !== undefined) message.request_id = event.requestId;
  return message;
}
