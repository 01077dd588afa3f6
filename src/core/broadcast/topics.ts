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

export class TopicRoom<C> {
  readonly #subscribers = new Map<string, Set<C>>();
  readonly #topicsOf = new Map<C, Set<string>>();

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
        return this.#subscribe(connection, command.topics);
      case "unsubscribe":
        for (const topic of command.topics) this.#unsubscribe(connection, topic);
        return [];
      case "publish":
        return this.#publish(command.topic, command.message);
      case "ping":
        return [{ to: connection, event: { type: "pong" } }];
    }
  }

  /** Takes back a connection's topics after a wake. */
  restore(connection: C, topics: readonly string[]): void {
    this.#subscribe(connection, topics.slice(0, MAX_TOPICS_PER_CONNECTION));
  }

  /** The connection is gone: out of every topic. */
  leave(connection: C): void {
    for (const topic of this.#topicsOf.get(connection) ?? []) this.#unsubscribe(connection, topic);
    this.#topicsOf.delete(connection);
  }

  #subscribe(connection: C, topics: readonly string[]): TopicOutbound<C>[] {
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
    }
    if (refused.length === 0) return [];
    const text = `a connection may subscribe to ${MAX_TOPICS_PER_CONNECTION} topics; not subscribed: ${refused.slice(0, 5).join(", ")}${refused.length > 5 ? ", ..." : ""}`;
    return [{ to: connection, event: topicError("too_many_topics", text) }];
  }

  #unsubscribe(connection: C, topic: string): void {
    this.#topicsOf.get(connection)?.delete(topic);
    const subscribers = this.#subscribers.get(topic);
    if (!subscribers) return;
    subscribers.delete(connection);
    if (subscribers.size === 0) this.#subscribers.delete(topic);
  }

  #publish(topic: string, message: Record<string, unknown>): TopicOutbound<C>[] {
    const subscribers = this.#subscribers.get(topic);
    if (!subscribers) return [];
    const event: TopicEvent = { type: "publish", message, clients: subscribers.size };
    return [...subscribers].map((to) => ({ to, event }));
  }
}
