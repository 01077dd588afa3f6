/** The seed's JSON protocol (docs/protocol.md) <-> room commands and events. */
import type { Codec, Decoded } from "../../room/codec.js";
import { assertNever, type RoomCommand, type RoomEvent, roomError } from "../../room/events.js";
import { isResumeTokenShaped } from "../../room/resume-token.js";
import { peekRequestId, readCanonicalRelay } from "../../wire/parse-client.js";
import { type ClientMessage, parseClientMessage, type ServerMessage } from "../../wire/protocol.js";

export const seedCodec: Codec = {
  name: "seed",
  // The seed protocol has no ping of its own: a client that never sends one may wait silently for hours.
  heartbeats: false,
  decode(frame, limits): Decoded {
    const relay = readCanonicalRelay(frame, limits);
    if (relay) {
      const { to, data, seq, requestId } = relay;
      return { ok: true, command: { type: "relay", to, data, seq, requestId } };
    }
    const parsed = parseClientMessage(frame, limits);
    if (!parsed.ok) {
      const { code, error, request_id: requestId } = parsed.error;
      return { ok: false, error: roomError(code, error, requestId) };
    }
    return { ok: true, command: toCommand(parsed.message) };
  },
  peekRequestId,
  encode(event): string {
    // A relay is spliced together around its data's text, as it came: the hot path serializes nothing again.
    if (event.type === "relay") {
      const head = `{"type":"relay","from":"${event.from}","data":${event.data}`;
      return event.seq === undefined ? `${head}}` : `${head},"seq":${event.seq}}`;
    }
    if (event.type === "registered" && event.peersJson !== undefined) {
      // The room's list is JSON already: spliced in, so a join into a full room does not encode it again.
      const { peers: _peers, ...rest } = toServerMessage(event) as unknown as Record<string, unknown>;
      const { type: _type, ...fields } = rest;
      return `{"type":"registered","peers":${event.peersJson},${JSON.stringify(fields).slice(1)}`;
    }
    return JSON.stringify(toServerMessage(event));
  },
};

function toCommand(message: ClientMessage): RoomCommand {
  const requestId = message.request_id;
  switch (message.type) {
    case "register": {
      const { peer_id: peerId, presence = false, resume_token: resumeToken, last_seq: lastSeq } = message;
      const command: Extract<RoomCommand, { type: "register" }> = {
        type: "register",
        peerId,
        presence,
        resumeToken,
        lastSeq,
        requestId,
      };
      // A token the client drew itself becomes its token, if the id is free: so a first registration whose answer
      // was lost (a drop or a kill with it in flight) can be made again with it, as a resume can.
      if (resumeToken !== undefined && isResumeTokenShaped(resumeToken)) command.ownToken = resumeToken;
      if (message.meta !== undefined) command.meta = message.meta;
      if (message.with_meta) command.withMeta = true;
      return command;
    }
    case "relay":
      return { type: "relay", to: message.to, data: JSON.stringify(message.data), seq: message.seq, requestId };
    case "list_peers":
      return { type: "list_peers", limit: message.limit, after: message.after, withMeta: message.with_meta, requestId };
    case "ping":
      return { type: "ping", requestId };
    default:
      return assertNever(message);
  }
}

function toServerMessage(event: Exclude<RoomEvent, { type: "disconnect" | "relay" }>): ServerMessage {
  switch (event.type) {
    case "registered": {
      const { peerId, peers, rev, resumeToken, resumed, acked, recovered } = event;
      const message: ServerMessage = { type: "registered", peer_id: peerId, peers, rev, resume_token: resumeToken };
      if (resumed) message.resumed = true;
      if (acked !== undefined) message.acked = acked;
      if (recovered !== undefined) message.recovered = recovered;
      if (event.peerMeta !== undefined) message.peer_meta = event.peerMeta;
      return withRequestId(message, event);
    }
    case "peers": {
      const message: ServerMessage = { type: "peers", peers: event.peers, rev: event.rev };
      if (event.next !== undefined) message.next = event.next;
      if (event.peerMeta !== undefined) message.peer_meta = event.peerMeta;
      return withRequestId(message, event);
    }
    case "peer_joined": {
      const message: ServerMessage = { type: "peer_joined", peer_id: event.peerId, rev: event.rev };
      if (event.meta !== undefined) message.meta = event.meta;
      return message;
    }
    case "peer_left":
      return { type: event.type, peer_id: event.peerId, rev: event.rev };
    case "pong":
      return withRequestId({ type: "pong" }, event);
    case "ack":
      return { type: "ack", seq: event.seq };
    case "error": {
      const message: ServerMessage = { type: "error", code: event.code, error: event.message };
      if (event.to !== undefined) message.to = event.to;
      if (event.count !== undefined) message.count = event.count;
      if (event.seq !== undefined) message.seq = event.seq;
      return withRequestId(message, event);
    }
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
