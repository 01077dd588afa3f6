/**
 * Publish and subscribe by topic, the model of y-webrtc's signaling server: a connection subscribes to any number
 * of topics (one per shared document, say), and a message published to a topic goes to every subscriber, the
 * publisher included if it subscribed, with the number of receivers. A pure state machine like room.ts: commands in,
 * events for connections out; no wire format, no host.
 */
import type { Outbound } from "../room/events.js";

/** Topics one connection may hold: kept in its attachment (16 KiB at most), so bounded in number and length. */
export const MAX_TOPICS_PER_CONNECTION = 64;
export const MAX_TOPIC_LENGTH = 128;

export type TopicCommand =
  | { type: "subscribe"; topics: string[] }
  | { type: "unsubscribe"; topics: string[] }
  /** `message`: the whole message as the client sent it; it travels on as it is, with `clients` set. */
  | { type: "publish"; topic: string; message: Record<string, unknown> }
  | { type: "ping" };

export type TopicEvent =
  | { type: "publish"; message: Record<string, unknown>; clients: number }
  | { type: "pong" }
  | { type: "error"; code: TopicErrorCode; message: string };

export type TopicErrorCode =
  | "invalid_json"
  | "invalid_message"
  | "unknown_type"
  | "binary_not_supported"
  | "message_too_large"
  | "rate_limited"
  | "target_busy"
  | "too_many_topics"
  | "room_full"
  | "internal_error";

export function topicError(code: TopicErrorCode, message: string): TopicEvent {
  return { type: "error", code, message };
}

export type TopicOutbound<C> = Omit<Outbound<C>, "event"> & { event: TopicEvent };

/**
 * A connection's first publish to a topic after the subscribe that added it, when it is y-webrtc's `announce` (or
 * sealed text, which is what an announce is in a room with a password), goes only to the connections that
 * subscribed to the topic before it (and back to itself). An announce makes whoever receives it start a WebRTC
 * connection to the announcer: y-webrtc's original server
 * reads a client's subscribe and announce from one socket read and never lets another client's subscribe in
 * between, so of two peers only the later one's announce reaches the other, and one of them starts. Here each frame
 * is an event of its own, so two peers joining together could each subscribe before the other's announce, both
 * receive an announce, both start, and y-webrtc's handling of that glare can leave both waiting forever (the two
 * documents never sync). Delivering the first announce the way the original's reading order does restores one
 * starter per pair. Publishes after it (the signals) go to every subscriber, as before.
 */
/** y-webrtc's announce as a server can see it: `{type: "announce"}`, or, in a room with a password, sealed text. */
function isAnnounce(data: unknown): boolean {
  if (typeof data === "string") return true;
  return typeof data === "object" && data !== null && (data as { type?: unknown }).type === "announce";
}

export class TopicRoom<C> {
  /** Each topic's subscribers, in the order they subscribed (a Set keeps insertion order). */
  readonly #subscribers = new Map<string, Set<C>>();
  readonly #topicsOf = new Map<C, Set<string>>();
  /** Topics a connection subscribed to and has not published to since: its next publish there is its announce. */
  readonly #announcing = new Map<C, Set<string>>();

  /** The topics a connection holds, for its saved state. */
  topicsOf(connection: C): string[] {
    return [...(this.#topicsOf.get(connection) ?? [])];
  }

  get topicCount(): number {
    return this.#subscribers.size;
  }

  get connectionCount(): number {
    return this.#topicsOf.size;
  }

  handle(connection: C, command: TopicCommand): TopicOutbound<C>[] {
    switch (command.type) {
      case "subscribe":
        return this.#subscribe(connection, command.topics, true);
      case "unsubscribe":
        for (const topic of command.topics) this.#unsubscribe(connection, topic);
        return [];
      case "publish":
        return this.#publish(connection, command.topic, command.message);
      case "ping":
        return [{ to: connection, event: { type: "pong" } }];
    }
  }

  /** Takes back a connection's topics after a wake. */
  restore(connection: C, topics: readonly string[]): void {
    this.#subscribe(connection, topics.slice(0, MAX_TOPICS_PER_CONNECTION), false);
  }

  /** The connection is gone: out of every topic. */
  leave(connection: C): void {
    for (const topic of this.#topicsOf.get(connection) ?? []) this.#unsubscribe(connection, topic);
    this.#topicsOf.delete(connection);
    this.#announcing.delete(connection);
  }

  /** `fresh`: a subscribe the client sent now (not one restored after a wake): its next publish is an announce. */
  #subscribe(connection: C, topics: readonly string[], fresh: boolean): TopicOutbound<C>[] {
    let held = this.#topicsOf.get(connection);
    if (!held) {
      held = new Set();
      this.#topicsOf.set(connection, held);
    }
    const refused: string[] = [];
    for (const topic of topics) {
      if (held.has(topic)) continue;
      if (held.size >= MAX_TOPICS_PER_CONNECTION) {
        refused.push(topic);
        continue;
      }
      held.add(topic);
      let subscribers = this.#subscribers.get(topic);
      if (!subscribers) {
        subscribers = new Set();
        this.#subscribers.set(topic, subscribers);
      }
      subscribers.add(connection);
      if (fresh) {
        let announcing = this.#announcing.get(connection);
        if (!announcing) {
          announcing = new Set();
          this.#announcing.set(connection, announcing);
        }
        announcing.add(topic);
      }
    }
    if (refused.length === 0) return [];
    const text = `a connection may subscribe to ${MAX_TOPICS_PER_CONNECTION} topics; not subscribed: ${refused.slice(0, 5).join(", ")}${refused.length > 5 ? ", ..." : ""}`;
    return [{ to: connection, event: topicError("too_many_topics", text) }];
  }

  #unsubscribe(connection: C, topic: string): void {
    this.#topicsOf.get(connection)?.delete(topic);
    this.#announcing.get(connection)?.delete(topic);
    const subscribers = this.#subscribers.get(topic);
    if (!subscribers) return;
    subscribers.delete(connection);
    if (subscribers.size === 0) this.#subscribers.delete(topic);
  }

  #publish(from: C, topic: string, message: Record<string, unknown>): TopicOutbound<C>[] {
    const subscribers = this.#subscribers.get(topic);
    if (!subscribers) return [];
    let receivers = [...subscribers];
    if (this.#announcing.get(from)?.delete(topic) && isAnnounce(message.data)) {
      // The announce: to those who came before (see the class's comment), and back to the announcer.
      receivers = receivers.slice(0, receivers.indexOf(from) + 1);
    }
    const event: TopicEvent = { type: "publish", message, clients: receivers.length };
    return receivers.map((to) => ({ to, event }));
  }
}
