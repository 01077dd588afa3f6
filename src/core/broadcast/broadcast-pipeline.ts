/**
 * Everything a namespace does with a connection for the protocols that fan messages out to groups rather than
 * relay them to one peer id (y-webrtc's topics, WebTorrent trackers' swarms): admit, rate-limit, decode, hand to
 * the protocol's state machine, encode once per message and deliver within each receiver's outbound budget. The
 * same limits and building blocks as the seed protocol's pipeline (pipeline.ts), over the same `Transport` seam;
 * what is kept with each connection is the protocol's to say (its topics, its swarms).
 */

import type { Limits } from "../config/limits.js";
import { Admission } from "../connection/admission.js";
import type { Identity } from "../connection/connection-records.js";
import { MAX_ADDRESS_LENGTH } from "../connection/connection-state.js";
import { OutboundBudget } from "../connection/outbound-budget.js";
import { rateLimitedText, TokenBucket } from "../connection/rate-limit.js";
import type { Transport } from "../connection/transport.js";
import { describeError, type LogFields, type LogLevel, logEvent } from "../log.js";
import type { Refusal } from "../room/pipeline.js";
import { Traffic } from "../room/room-stats.js";
import { CLOSE_NOT_READING, CLOSE_POLICY_VIOLATION } from "../wire/close-codes.js";

/** Kept with each connection across hibernation: the protocol's own state for it, and where it came from. */
export interface BroadcastState<S> {
  namespace: string;
  /** Absent once the connection was let go. */
  state?: S;
  address?: string;
}

/** The errors every protocol must be able to say, whatever it calls them. */
export type BroadcastErrorCode = "rate_limited" | "room_full" | "internal_error";

/** A protocol served by `BroadcastPipeline`: its codec and its state machine, one object per namespace. */
export interface BroadcastProtocol<C, Command, Event extends object, S> {
  readonly name: string;
  decode(
    frame: string | ArrayBuffer,
    limits: Pick<Limits, "maxMessageBytes" | "maxJsonDepth">,
  ): { ok: true; command: Command } | { ok: false; error: Event };
  /** The frame for `event`, or undefined when the protocol says nothing. */
  encode(event: Event): string | undefined;
  error(code: BroadcastErrorCode, message: string): Event;
  handle(connection: C, command: Command): Array<{ to: C; event: Event }>;
  leave(connection: C): void;
  /** What to keep with the connection after `command`, or undefined when it changed nothing kept. */
  stateAfter(connection: C, command: Command): S | undefined;
  restore(connection: C, state: S): void;
  /** The connection has joined (it counts as registered for the register timeout). */
  joins(command: Command): boolean;
  /** Extra messages of the sender's rate that `command`, fanned out to `receivers`, costs. */
  charge(command: Command, receivers: number): number;
  parseState(value: unknown): S | undefined;
  stats(): Record<string, number>;
}

/** One message to this many receivers costs its sender one more message of its rate. */
export const FANOUT_PER_TOKEN = 50;

interface ConnectionRecord {
  bucket?: TokenBucket;
  budget?: OutboundBudget;
  address: string;
  openedAt: number;
}

export interface BroadcastPipelineOptions<C, Command, Event extends object, S> {
  protocol: BroadcastProtocol<C, Command, Event, S>;
  limits: Limits;
  transport: Transport<C, BroadcastState<S>>;
  namespace: string;
  now?: () => number;
}

export class BroadcastPipeline<C extends object, Command, Event extends object, S> {
  readonly #protocol: BroadcastProtocol<C, Command, Event, S>;
  readonly #limits: Limits;
  readonly #transport: Transport<C, BroadcastState<S>>;
  readonly #now: () => number;
  readonly #records = new WeakMap<C, ConnectionRecord>();
  readonly #admission: Admission<C>;
  #namespace: string;
  readonly #traffic: Traffic;

  constructor(options: BroadcastPipelineOptions<C, Command, Event, S>) {
    this.#protocol = options.protocol;
    this.#limits = options.limits;
    this.#namespace = options.namespace;
    this.#now = options.now ?? Date.now;
    this.#traffic = new Traffic(this.#now());
    this.#transport = this.#traffic.counting(options.transport);
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
    const full = (text: string) =>
      this.#protocol.encode(this.#protocol.error("room_full", `this namespace is ${text}`));
    const refusal = this.#admission.admit(address, full);
    if (refusal?.kind === "http") this.#log("warn", "connection_refused", { code: refusal.code });
    return refusal;
  }

  open(connection: C, identity: Identity = {}): void {
    const record: ConnectionRecord = { address: identity.address ?? "", openedAt: this.#now() };
    this.#records.set(connection, record);
    this.#admission.opened(connection, record.address);
  }

  restore(connection: C, saved: BroadcastState<S> | undefined): void {
    const record: ConnectionRecord = { address: saved?.address ?? "", openedAt: this.#now() };
    this.#records.set(connection, record);
    this.#admission.restore(connection, saved?.state !== undefined, record.address);
    if (!saved) return;
    this.#namespace ||= saved.namespace;
    if (saved.state !== undefined) this.#protocol.restore(connection, saved.state);
  }

  /** What a socket's attachment holds, or undefined when it is nothing this version can read. */
  parseSaved(value: unknown): BroadcastState<S> | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const { namespace, state, address } = value as Record<string, unknown>;
    if (typeof namespace !== "string") return undefined;
    const saved: BroadcastState<S> = { namespace };
    const parsed = state === undefined ? undefined : this.#protocol.parseState(state);
    if (parsed !== undefined) saved.state = parsed;
    if (typeof address === "string" && address.length <= MAX_ADDRESS_LENGTH) saved.address = address;
    return saved;
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    try {
      const now = this.#now();
      this.#traffic.messagesIn++;
      const record = this.#recordOf(connection);
      record.bucket ??= new TokenBucket(this.#limits, now);
      // Taken before the frame is parsed: parsing is the work the rate bounds.
      const verdict = record.bucket.take(now);
      if (verdict !== "ok") {
        this.#send(connection, this.#protocol.error("rate_limited", rateLimitedText(this.#limits)), now);
        if (verdict === "abusive") {
          this.#log("warn", "rate_abuse_closed", { code: "rate_limited" });
          this.#protocol.leave(connection);
          this.#disconnect(connection, CLOSE_POLICY_VIOLATION, "rate limit exceeded for too long");
        }
        return;
      }
      const decoded = this.#protocol.decode(frame, this.#limits);
      if (!decoded.ok) {
        this.#send(connection, decoded.error, now);
        return;
      }
      const command = decoded.command;
      const out = this.#protocol.handle(connection, command);
      this.#deliver(out, now);
      if (this.#protocol.joins(command)) this.#admission.registered(connection);
      const state = this.#protocol.stateAfter(connection, command);
      if (state !== undefined) this.#save(connection, record, state);
      // A message to many costs its sender more of its rate: its fan-out is the server's work.
      record.bucket.charge(this.#protocol.charge(command, out.length));
    } catch (error) {
      this.#log("error", "message_failed", { code: "internal_error", error: describeError(error) });
      const text = "the server failed on this message; it was dropped";
      this.#send(connection, this.#protocol.error("internal_error", text));
    }
  }

  closed(connection: C): void {
    this.#admission.closed(connection);
    this.#protocol.leave(connection);
  }

  failed(connection: C, error: unknown): void {
    this.#log("debug", "socket_error", { error: describeError(error) });
    this.#protocol.leave(connection);
  }

  stats(): Record<string, number | string> {
    return {
      connections: this.#transport.countConnections(),
      ...this.#protocol.stats(),
      ...this.#traffic.counts(),
    };
  }

  /** Each event encoded once, however many receive it; a receiver past its outbound budget is dropped. */
  #deliver(out: Array<{ to: C; event: Event }>, now: number): void {
    let last: Event | undefined;
    let text: string | undefined;
    for (const { to, event } of out) {
      if (event !== last) {
        last = event;
        text = this.#protocol.encode(event);
      }
      if (text !== undefined) this.#sendText(to, text, now);
    }
  }

  #send(connection: C, event: Event, now = this.#now()): void {
    const text = this.#protocol.encode(event);
    if (text !== undefined) this.#sendText(connection, text, now);
  }

  #sendText(connection: C, text: string, now: number): void {
    const record = this.#recordOf(connection);
    record.budget ??= new OutboundBudget(this.#limits, now);
    if (!record.budget.spend(text.length, now)) {
      this.#log("warn", "outbound_budget_exceeded", { code: CLOSE_NOT_READING });
      this.#protocol.leave(connection);
      this.#disconnect(connection, CLOSE_NOT_READING, "sent more than it reads");
      return;
    }
    this.#transport.send(connection, text);
  }

  #save(connection: C, record: ConnectionRecord, state: S): void {
    const saved: BroadcastState<S> = { namespace: this.#namespace, state };
    if (record.address !== "") saved.address = record.address;
    this.#transport.save(connection, saved);
  }

  /** Its saved state is cleared first, so that a socket that outlives the close is not brought back by a wake. */
  #disconnect(connection: C, code: number, reason: string): void {
    this.#transport.save(connection, { namespace: this.#namespace });
    this.#transport.close(connection, code, reason);
  }

  #recordOf(connection: C): ConnectionRecord {
    let record = this.#records.get(connection);
    if (!record) {
      record = { address: "", openedAt: this.#now() };
      this.#records.set(connection, record);
    }
    return record;
  }

  #log(level: LogLevel, event: string, fields: LogFields): void {
    logEvent(level, event, { namespace: this.#namespace, protocol: this.#protocol.name, ...fields });
  }
}
