/**
 * Everything a namespace of topics does with a connection (y-webrtc's protocol): admit, rate-limit, decode, hand
 * to the topic room, encode once per message and deliver within each receiver's outbound budget. The same limits
 * and building blocks as the seed protocol's pipeline (pipeline.ts), over the same `Transport` seam; what is kept
 * with each connection is its topics.
 */
import { Admission } from "./admission.js";
import { CLOSE_NOT_READING, CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER } from "./close-codes.js";
import { decodeYWebrtc, encodeYWebrtc } from "./codecs/y-webrtc.js";
import type { Limits } from "./limits.js";
import { describeError, type LogFields, type LogLevel, logEvent } from "./log.js";
import { OutboundBudget } from "./outbound-budget.js";
import type { Identity, Refusal } from "./pipeline.js";
import { TokenBucket } from "./rate-limit.js";
import { MAX_TOPIC_LENGTH, type TopicEvent, type TopicOutbound, TopicRoom, topicError } from "./topics.js";
import type { Transport } from "./transport.js";

/** Kept with each connection across hibernation: its topics (bounded: see topics.ts) and where it came from. */
export interface TopicConnectionState {
  namespace: string;
  topics: string[];
  address?: string;
}

/** One publish to this many receivers costs its sender one more message of its rate. */
export const PUBLISH_FANOUT_PER_TOKEN = 50;

interface TopicRecord {
  bucket?: TokenBucket;
  budget?: OutboundBudget;
  address: string;
  openedAt: number;
}

export interface TopicPipelineOptions<C> {
  limits: Limits;
  transport: Transport<C, TopicConnectionState>;
  namespace: string;
  now?: () => number;
}

export class TopicPipeline<C extends object> {
  readonly room = new TopicRoom<C>();
  readonly #limits: Limits;
  readonly #transport: Transport<C, TopicConnectionState>;
  readonly #now: () => number;
  readonly #records = new WeakMap<C, TopicRecord>();
  readonly #admission: Admission<C>;
  #namespace: string;
  #messagesIn = 0;
  #messagesOut = 0;

  constructor(options: TopicPipelineOptions<C>) {
    this.#limits = options.limits;
    this.#transport = options.transport;
    this.#namespace = options.namespace;
    this.#now = options.now ?? Date.now;
    this.#admission = new Admission<C>({
      limits: options.limits,
      countConnections: () => this.#transport.countConnections(),
      openedAt: (connection) => this.#recordOf(connection).openedAt,
      now: this.#now,
      close: (connection, code, reason) => this.#disconnect(connection, code, reason),
    });
  }

  get namespace(): string {
    return this.#namespace;
  }

  admit(address = ""): Refusal | undefined {
    const verdict = this.#admission.fits(address);
    if (verdict === "ok") return undefined;
    if (verdict === "too_many_connections") {
      const cap = this.#limits.maxConnectionsPerIp;
      return { kind: "http", status: 429, code: verdict, error: `this address holds ${cap} connections here already` };
    }
    const max = this.#limits.maxPeersPerRoom;
    const frame = encodeYWebrtc(topicError("room_full", `this namespace is full: ${max} of ${max} connections`));
    return { kind: "frame", frame, code: CLOSE_TRY_AGAIN_LATER, reason: "namespace full" };
  }

  open(connection: C, identity: Identity = {}): void {
    const record: TopicRecord = { address: identity.address ?? "", openedAt: this.#now() };
    this.#records.set(connection, record);
    this.#admission.opened(connection, record.address);
  }

  restore(connection: C, state: TopicConnectionState | undefined): void {
    const record: TopicRecord = { address: state?.address ?? "", openedAt: this.#now() };
    this.#records.set(connection, record);
    const topics = state?.topics ?? [];
    this.#admission.restore(connection, topics.length > 0, record.address);
    if (state) this.#namespace ||= state.namespace;
    this.room.restore(connection, topics);
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    try {
      const now = this.#now();
      this.#messagesIn++;
      const record = this.#recordOf(connection);
      record.bucket ??= new TokenBucket(this.#limits, now);
      // Taken before the frame is parsed: parsing is the work the rate bounds.
      const verdict = record.bucket.take(now);
      if (verdict !== "ok") {
        const { ratePerSecond, rateBurst } = this.#limits;
        const text = `over the rate limit of ${ratePerSecond} messages/s (bursts of ${rateBurst}); the message was dropped`;
        this.#send(connection, topicError("rate_limited", text), now);
        if (verdict === "abusive") {
          this.#log("warn", "rate_abuse_closed", { code: "rate_limited" });
          this.room.leave(connection);
          this.#disconnect(connection, CLOSE_POLICY_VIOLATION, "rate limit exceeded for too long");
        }
        return;
      }
      const decoded = decodeYWebrtc(frame, this.#limits);
      if (!decoded.ok) {
        this.#send(connection, decoded.error, now);
        return;
      }
      const command = decoded.command;
      const out = this.room.handle(connection, command);
      this.#deliver(out, now);
      if (command.type === "subscribe" || command.type === "unsubscribe") {
        if (command.type === "subscribe") this.#admission.registered(connection);
        this.#save(connection, record);
      }
      // A publish to many costs its sender more of its rate: its fan-out is the server's work.
      if (command.type === "publish") record.bucket.charge(Math.floor(out.length / PUBLISH_FANOUT_PER_TOKEN));
    } catch (error) {
      this.#log("error", "message_failed", { code: "internal_error", error: describeError(error) });
      this.#send(connection, topicError("internal_error", "the server failed on this message; it was dropped"));
    }
  }

  closed(connection: C): void {
    this.#admission.closed(connection);
    this.room.leave(connection);
  }

  failed(connection: C, error: unknown): void {
    this.#log("debug", "socket_error", { error: describeError(error) });
    this.room.leave(connection);
  }

  stats(): Record<string, number | string> {
    return {
      connections: this.#transport.countConnections(),
      subscribers: this.room.connectionCount,
      topics: this.room.topicCount,
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      billedRequests: Math.ceil(this.#messagesIn / 20),
    };
  }

  /** Each event encoded once, however many receive it; a receiver past its outbound budget is dropped. */
  #deliver(out: TopicOutbound<C>[], now: number): void {
    let last: TopicEvent | undefined;
    let text = "";
    for (const { to, event } of out) {
      if (event !== last) {
        last = event;
        text = encodeYWebrtc(event);
      }
      this.#sendText(to, text, now);
    }
  }

  #send(connection: C, event: TopicEvent, now = this.#now()): void {
    this.#sendText(connection, encodeYWebrtc(event), now);
  }

  #sendText(connection: C, text: string, now: number): void {
    const record = this.#recordOf(connection);
    record.budget ??= new OutboundBudget(this.#limits, now);
    if (!record.budget.spend(text.length, now)) {
      this.#log("warn", "outbound_budget_exceeded", { code: CLOSE_NOT_READING });
      this.room.leave(connection);
      this.#disconnect(connection, CLOSE_NOT_READING, "sent more than it reads");
      return;
    }
    if (this.#transport.send(connection, text)) this.#messagesOut++;
  }

  #save(connection: C, record: TopicRecord): void {
    const state: TopicConnectionState = { namespace: this.#namespace, topics: this.room.topicsOf(connection) };
    if (record.address !== "") state.address = record.address;
    this.#transport.save(connection, state);
  }

  /** Its saved topics are cleared first, so that a socket that outlives the close is not brought back by a wake. */
  #disconnect(connection: C, code: number, reason: string): void {
    this.#transport.save(connection, { namespace: this.#namespace, topics: [] });
    this.#transport.close(connection, code, reason);
  }

  #recordOf(connection: C): TopicRecord {
    let record = this.#records.get(connection);
    if (!record) {
      record = { address: "", openedAt: this.#now() };
      this.#records.set(connection, record);
    }
    return record;
  }

  #log(level: LogLevel, event: string, fields: LogFields): void {
    logEvent(level, event, { namespace: this.#namespace, protocol: "y-webrtc", ...fields });
  }
}

/** The state a socket carries, or undefined when it has none this version can read. */
export function parseTopicState(value: unknown): TopicConnectionState | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { namespace, topics, address } = value as Record<string, unknown>;
  if (typeof namespace !== "string" || !Array.isArray(topics)) return undefined;
  const state: TopicConnectionState = {
    namespace,
    topics: topics.filter((t): t is string => typeof t === "string" && t.length <= MAX_TOPIC_LENGTH),
  };
  if (typeof address === "string" && address.length <= 45) state.address = address;
  return state;
}
