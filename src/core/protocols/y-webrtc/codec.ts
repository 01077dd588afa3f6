/**
 * y-webrtc's signaling protocol (y-webrtc 10, bin/server.js) <-> topic commands and events. `subscribe` and
 * `unsubscribe` carry `topics`; `publish` carries `topic` and whatever else the client put in it, which goes to every
 * subscriber as it came, with `clients` (the number of receivers) added. `{"type":"ping"}` is answered
 * `{"type":"pong"}`, by the runtime itself when the text is exact.
 *
 * Where the original crashes or stays silent (a frame that is not JSON, say), this answers
 * `{"type":"error","code":...,"error":...}`, which y-webrtc's client ignores like any type it does not know.
 */
import { type BroadcastProtocol, FANOUT_PER_TOKEN } from "../../broadcast/broadcast-service.js";
import {
  MAX_TOPIC_LENGTH,
  type TopicCommand,
  type TopicErrorCode,
  type TopicEvent,
  TopicRoom,
  topicError,
} from "../../broadcast/topics.js";
import type { Limits } from "../../config/limits.js";
import { FrameProblem, nestsDeeperThan, readJsonObject } from "../../wire/parse-client.js";
import { PONG_TEXT } from "../../wire/protocol.js";

export type TopicDecoded = { ok: true; command: TopicCommand } | { ok: false; error: TopicEvent };

export function decodeYWebrtc(
  frame: string | ArrayBuffer,
  limits: Pick<Limits, "maxMessageBytes" | "maxJsonDepth">,
): TopicDecoded {
  const message = readJsonObject(frame, limits.maxMessageBytes);
  if (message instanceof FrameProblem) return fail(message.code, message.message);
  if (nestsDeeperThan(message, limits.maxJsonDepth)) {
    return fail("invalid_message", `message nests deeper than the limit of ${limits.maxJsonDepth} objects and arrays`);
  }
  switch (message.type) {
    case "subscribe":
    case "unsubscribe": {
      const topics = readTopics(message.topics);
      if (typeof topics === "string") return fail("invalid_message", topics);
      return { ok: true, command: { type: message.type, topics } };
    }
    case "publish": {
      const topic = message.topic;
      // The original ignores a publish without a topic; an empty topic is none.
      if (typeof topic !== "string" || topic === "") return fail("invalid_message", 'publish needs a string "topic"');
      if (topic.length > MAX_TOPIC_LENGTH) return fail("invalid_message", describeLongTopic(topic));
      return { ok: true, command: { type: "publish", topic, message } };
    }
    case "ping":
      return { ok: true, command: { type: "ping" } };
    default:
      return fail("unknown_type", "expected subscribe, unsubscribe, publish or ping");
  }
}

export function encodeYWebrtc(event: TopicEvent): string {
  switch (event.type) {
    case "publish":
      return JSON.stringify({ ...event.message, clients: event.clients });
    case "pong":
      return PONG_TEXT;
    case "error":
      return JSON.stringify({ type: "error", code: event.code, error: event.message });
  }
}

/** `topics`: an array; entries that are not strings are skipped, as the original does; too long ones refused. */
function readTopics(raw: unknown): string[] | string {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return '"topics" must be an array of strings';
  const topics = raw.filter((t): t is string => typeof t === "string" && t !== "");
  const long = topics.find((t) => t.length > MAX_TOPIC_LENGTH);
  return long === undefined ? topics : describeLongTopic(long);
}

function describeLongTopic(topic: string): string {
  return `a topic is at most ${MAX_TOPIC_LENGTH} characters, got ${topic.length}`;
}

function fail(code: TopicErrorCode, message: string): TopicDecoded {
  return { ok: false, error: topicError(code, message) };
}

/** y-webrtc served by the broadcast pipeline: one topic room per namespace; each connection keeps its topics. */
export function yWebrtcProtocol<C>(): BroadcastProtocol<C, TopicCommand, TopicEvent, string[]> {
  const room = new TopicRoom<C>();
  return {
    name: "y-webrtc",
    // y-webrtc pings every 15 s: its silence means a client gone.
    heartbeats: true,
    decode: decodeYWebrtc,
    encode: encodeYWebrtc,
    error: (code, message) => topicError(code, message),
    handle: (connection, command) => room.handle(connection, command),
    leave: (connection) => room.leave(connection),
    stateAfter: (connection, command) =>
      command.type === "subscribe" || command.type === "unsubscribe" ? room.topicsOf(connection) : undefined,
    restore: (connection, topics) => room.restore(connection, topics),
    joins: (command) => command.type === "subscribe",
    charge: (command, receivers) => (command.type === "publish" ? Math.floor(receivers / FANOUT_PER_TOKEN) : 0),
    parseState: (value) =>
      Array.isArray(value)
        ? value.filter((t): t is string => typeof t === "string" && t.length <= MAX_TOPIC_LENGTH)
        : undefined,
    stats: () => ({ subscribers: room.connectionCount, topics: room.topicCount }),
  };
}
