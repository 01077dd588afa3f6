/**
 * The connection front: everything a connection goes through whatever protocol it speaks, in one place. Admission
 * (room size, connections per address, the register timeout), the attachment written from the moment a connection
 * is accepted, the message rate checked before a frame is parsed, the byte budgets (what a sender may make the
 * server send, what a receiver is handed), liveness, the close of an abuser or of a connection that asks for more
 * than it reads, traffic counts, and every entry point caught and logged. Behind it sits one `Service`: the room
 * (seed, PeerJS) or topics and swarms (y-webrtc, trackers). It runs on any host through a `Transport`.
 */
import type { Limits } from "../config/limits.js";
import { describeError, type LogFields, type LogLevel, logEvent } from "../log.js";
import { Meter } from "../metrics/meter.js";
import { CLOSE_NOT_READING, CLOSE_POLICY_VIOLATION, isAbruptCloseCode, isGoodbye } from "../wire/close-codes.js";
import { Admission, type Refusal } from "./admission.js";
import { ATTACHMENT_VERSION, type Attachment, parseAttachment } from "./attachment.js";
import { ByteBucket } from "./byte-bucket.js";
import { ConnectionRecord } from "./connection-record.js";
import { rateLimitedText, TokenBucket } from "./rate-limit.js";
import type { Cause, Departure, Handed, Outlet, Service } from "./service.js";
import { Traffic, type TrafficCounts } from "./traffic.js";
import type { Transport } from "./transport.js";

/** Who a connection is, as the host learned it before accepting it. */
export interface Identity {
  /** Where it connected from; "" or absent when unknown. */
  address?: string;
  /** The only peer id it may register (its join token's `sub`). */
  subject?: string;
}

export interface FrontOptions<C, S> {
  /** Builds the service behind the front, handing it the front's outlet. */
  service: (outlet: Outlet<C, S>) => Service<C, S>;
  transport: Transport<C>;
  limits: Limits;
  /** The object's name (room, namespace, key); "" when the host does not know it yet (see `open`, `restore`). */
  name: string;
  now?: () => number;
  /** Where the front and its service count for `/metrics`; the host reports it. */
  meter?: Meter;
}

export type FrontStats = { connections: number } & TrafficCounts & Record<string, number | string>;

export class ConnectionFront<C extends object, S> {
  readonly #service: Service<C, S>;
  readonly #transport: Transport<C>;
  readonly #limits: Limits;
  readonly #clock: () => number;
  readonly #records = new WeakMap<C, ConnectionRecord<S>>();
  readonly #admission: Admission<C>;
  readonly #traffic: Traffic;
  readonly meter: Meter;
  #name: string;
  /** The time of the event being handled. */
  #moment: number | undefined;
  /** Connections that asked for more than they read, closed once the event that overdrew them is done. */
  readonly #overdrawn = new Set<C>();

  constructor(options: FrontOptions<C, S>) {
    this.#limits = options.limits;
    this.#clock = options.now ?? Date.now;
    this.#name = options.name;
    this.#traffic = new Traffic(this.#clock());
    this.meter = options.meter ?? new Meter();
    this.#transport = this.#traffic.counting(options.transport);
    this.#admission = new Admission<C>({
      limits: options.limits,
      countConnections: () => this.#transport.connections().length,
      openedAt: (connection) => this.#recordOf(connection).openedAt,
      now: () => this.#now(),
      close: (connection, code, reason) => this.#letGo(connection, "goodbye", code, reason),
    });
    this.#service = options.service(this.#outlet());
  }

  get name(): string {
    return this.#name;
  }

  /** The connections open, as admission counts them. */
  get connectionCount(): number {
    return this.#admission.count;
  }

  /** The service behind the front, for the host's own routes (a peer list, stats). */
  get service(): Service<C, S> {
    return this.#service;
  }

  /**
   * Whether one more connection (from `address`, asking `query`) may be accepted; else how to refuse it. Asked
   * before the upgrade is accepted, so that a refusal can still be an HTTP answer.
   */
  admit(address = "", query: URLSearchParams = new URLSearchParams()): Refusal | undefined {
    const refused = this.#service.refuse?.(query);
    if (refused) return refused;
    const refusal = this.#admission.admit(address, (text) => this.#service.refusalFrame("room_full", text));
    if (refusal?.kind === "http") this.#log("warn", "connection_refused", undefined, { code: refusal.code });
    if (refusal) this.meter.refusal("caps");
    return refusal;
  }

  /** A connection was admitted and accepted: what every wake needs to know of it is saved at once. */
  open(connection: C, identity: Identity = {}, query: URLSearchParams = new URLSearchParams(), name = ""): void {
    this.#name ||= name;
    const now = this.#clock();
    const record = new ConnectionRecord<S>(now, identity.address ?? "", identity.subject);
    this.#records.set(connection, record);
    this.#admission.opened(connection, record.address);
    this.#save(connection, record);
    this.#entry("open_failed", connection, () => this.#service.opened?.(connection, query));
  }

  /** Takes back a connection the host kept across a wake, from whatever its attachment holds. */
  restore(connection: C, saved: unknown): void {
    const attachment = parseAttachment(saved, (state) => this.#service.parseState(state));
    const now = this.#clock();
    if (attachment?.closed) {
      // Let go before the wake, its close still under way: it holds nothing and counts for nothing.
      const record = new ConnectionRecord<S>(attachment.opened, "", undefined);
      record.closed = true;
      this.#records.set(connection, record);
      return;
    }
    const record = attachment
      ? new ConnectionRecord<S>(attachment.opened, attachment.address ?? "", attachment.subject, attachment.seen)
      : new ConnectionRecord<S>(now, "", undefined);
    record.keepsAlive = attachment?.keepsAlive === true;
    record.state = attachment?.state;
    this.#records.set(connection, record);
    this.#name ||= attachment?.name ?? "";
    this.#admission.restore(connection, attachment?.state !== undefined, record.address);
    this.#entry("restore_failed", connection, () => this.#service.restore(connection, attachment?.state));
  }

  /** Every connection the host kept was restored (or there were none): the object's start is complete. */
  restored(): void {
    this.#entry("restore_failed", undefined, () => this.#service.restored?.());
  }

  /** One frame from a connection. The hot path: no closure, one clock reading, one record lookup. */
  message(connection: C, frame: string | ArrayBuffer): void {
    const record = this.#recordOf(connection);
    this.#traffic.messagesIn++;
    if (record.closed) return; // let go already; its close is on the way
    const now = this.#clock();
    this.#moment = now;
    try {
      record.lastSeen = now;
      if (record.keepsAlive && now - record.seenSaved > this.#limits.idleTimeoutMs / 4) this.#save(connection, record);
      // The token is taken before the frame is parsed: parsing is the work the rate bounds.
      record.bucket ??= new TokenBucket(this.#limits, now);
      const verdict = record.bucket.take(now);
      if (verdict === "ok") this.#service.message(connection, frame);
      else this.#overRate(connection, frame, verdict === "abusive");
    } catch (error) {
      this.#log("error", "message_failed", connection, { code: "internal_error", error: describeError(error) });
      this.#tellFailure(connection, frame);
    } finally {
      if (this.#overdrawn.size > 0) this.#closeOverdrawn();
      this.#moment = undefined;
    }
  }

  /** The connection closed (the host answers the Close frame). After a goodbye its peer leaves at once. */
  closed(connection: C, code: number): void {
    const record = this.#recordOf(connection);
    this.#admission.closed(connection);
    if (record.closed) return;
    record.closed = true;
    // A dropped network (1006) is routine; anything else worth a line is the client's own code.
    if (isAbruptCloseCode(code)) this.#log("debug", "socket_dropped", connection, { code });
    this.#entry("close_failed", connection, () =>
      this.#service.gone(connection, isGoodbye(code) ? "goodbye" : "dropped"),
    );
  }

  /** The host saw the connection fail. Routine (a client vanished): logged at debug, and counted out like a drop. */
  failed(connection: C, error: unknown): void {
    const record = this.#recordOf(connection);
    this.#admission.closed(connection);
    if (record.closed) return;
    record.closed = true;
    this.#log("debug", "socket_error", connection, { error: describeError(error) });
    this.#entry("socket_error_failed", connection, () => this.#service.gone(connection, "dropped"));
  }

  alarm(): void {
    this.#entry("alarm_failed", undefined, () => this.#service.alarm?.());
  }

  /**
   * Closes every connection with `code` (the self-hosted server stopping: 1012), each held for its client to come
   * back to, as after any drop. Returns how many were closed.
   */
  shutdown(code: number, reason: string): number {
    let count = 0;
    this.#entry("shutdown_failed", undefined, () => {
      for (const connection of this.#transport.connections()) {
        if (this.#recordOf(connection).closed) continue;
        this.#letGo(connection, "dropped", code, reason);
        count++;
      }
    });
    return count;
  }

  /** What the object holds and has done since it woke. */
  stats(): FrontStats {
    return { connections: this.#admission.count, ...this.#service.stats(), ...this.#traffic.counts() };
  }

  /** A frame over the rate is answered unread; a connection still over it after the abuse window is closed. */
  #overRate(connection: C, frame: string | ArrayBuffer, abusive: boolean): void {
    const requestId = this.#service.peekRequestId(frame);
    this.meter.refusal("rate");
    const answer = this.#service.refusalFrame("rate_limited", rateLimitedText(this.#limits), requestId);
    if (answer !== undefined) this.#send(connection, answer, "reply");
    if (!abusive) return;
    this.#log("warn", "rate_abuse_closed", connection, { code: "rate_limited" });
    // An abuser leaves at once, with nothing held for it to come back to.
    this.#letGo(connection, "goodbye", CLOSE_POLICY_VIOLATION, "rate limit exceeded for too long");
  }

  // ---- what the service is handed ------------------------------------------------------------------------

  #outlet(): Outlet<C, S> {
    const front = this;
    return {
      limits: this.#limits,
      meter: this.meter,
      get name() {
        return front.#name;
      },
      now: () => this.#now(),
      send: (to, text, cause) => this.#send(to, text, cause),
      spend: (from, bytes) => this.#spend(from, bytes),
      charge: (from, messages) => this.#recordOf(from).bucket?.charge(messages),
      registered: (connection) => this.#admission.registered(connection),
      save: (connection, state) => {
        const record = this.#recordOf(connection);
        record.state = state;
        this.#save(connection, record);
      },
      disconnect: (connection, code, reason) => this.#close(connection, code, reason),
      isLive: (connection) => this.#isLive(connection),
      keptAlive: (connection) => {
        const record = this.#recordOf(connection);
        if (record.keepsAlive) return;
        record.keepsAlive = true;
        this.#save(connection, record);
      },
      identity: (connection) => {
        const { address, subject } = this.#recordOf(connection);
        return { address, subject };
      },
      connectionCount: () => this.#admission.count,
      schedule: (at) => this.#transport.schedule(at),
      log: (level, event, connection, fields = {}) => this.#log(level, event, connection, fields),
    };
  }

  #send(to: C, text: string, cause: Cause): Handed {
    const record = this.#recordOf(to);
    if (record.closed) return "gone";
    const now = this.#now();
    const { outboundBytesPerSecond, outboundBurstBytes } = this.#limits;
    record.receives ??= new ByteBucket(outboundBytesPerSecond, outboundBurstBytes, now);
    const budget = record.receives;
    if (cause !== "reply") {
      if (!budget.tryTake(text.length, now)) return "busy";
    } else if (!budget.take(text.length, now)) {
      this.#overdrawn.add(to);
    }
    return this.#transport.send(to, text) ? "sent" : "gone";
  }

  #spend(from: C, bytes: number): string | undefined {
    const record = this.#recordOf(from);
    const now = this.#now();
    const { byteRatePerSecond, byteRateBurst } = this.#limits;
    record.sends ??= new ByteBucket(byteRatePerSecond, byteRateBurst, now);
    const bucket = record.sends;
    if (bucket.tryTake(bytes, now)) return undefined;
    const wait =
      bytes > byteRateBurst ? "it is larger than a whole burst" : `try again in ${bucket.secondsUntil(bytes)} s`;
    return `over the byte rate of ${byteRatePerSecond} bytes/s (bursts of ${byteRateBurst}): this message would have the server send ${bytes} bytes; ${wait}. It was not sent`;
  }

  /**
   * Whether the connection is to be believed alive. Silence is a sign of death only for a connection that has shown
   * it keeps alive: a keepalive the runtime answered, a ping that reached the room, or a protocol whose clients must
   * heartbeat. A client that never pings (the seed protocol has no ping) may wait silently for as long as it likes.
   */
  #isLive(connection: C): boolean {
    const record = this.#recordOf(connection);
    const answered = this.#transport.lastAutoResponse(connection);
    if (!record.keepsAlive && !this.#service.heartbeats && answered === undefined) return true;
    const heard = Math.max(record.lastSeen, answered ?? 0);
    return this.#now() - heard <= this.#limits.idleTimeoutMs;
  }

  /** The front takes a connection away from the service, then closes it. */
  #letGo(connection: C, how: Departure, code: number, reason: string): void {
    const record = this.#recordOf(connection);
    if (record.closed) return;
    record.closed = true;
    // Counted out first, so that the service sees the object as it will be (empty, perhaps).
    this.#admission.closed(connection);
    this.#service.gone(connection, how);
    this.#close(connection, code, reason);
  }

  /**
   * Closes a connection the service no longer holds. Its attachment says so first: if the client never answers the
   * Close frame, the socket outlives the object's memory, and a wake must not bring it back.
   */
  #close(connection: C, code: number, reason: string): void {
    const record = this.#recordOf(connection);
    record.closed = true;
    this.#admission.closed(connection);
    this.#transport.save(connection, {
      v: ATTACHMENT_VERSION,
      name: this.#name,
      opened: record.openedAt,
      closed: true,
    });
    this.#transport.close(connection, code, reason);
  }

  #save(connection: C, record: ConnectionRecord<S>): void {
    const now = this.#now();
    const attachment: Attachment<S> = { v: ATTACHMENT_VERSION, name: this.#name, opened: record.openedAt };
    if (record.address !== "") attachment.address = record.address;
    if (record.subject !== undefined) attachment.subject = record.subject;
    if (record.keepsAlive) {
      attachment.keepsAlive = true;
      attachment.seen = record.lastSeen;
      record.seenSaved = now;
    }
    if (record.state !== undefined) attachment.state = record.state;
    this.#transport.save(connection, attachment);
  }

  /**
   * Runs one entry point: one clock reading for all of it, every failure logged (the object's name and the
   * connection's peer, never relayed data) and answered, and connections that overdrew their budget closed after.
   */
  #entry<T>(event: string, connection: C | undefined, run: () => T): T | undefined {
    const outer = this.#moment === undefined;
    if (outer) this.#moment = this.#clock();
    try {
      return run();
    } catch (error) {
      this.#log("error", event, connection, { code: "internal_error", error: describeError(error) });
      if (connection !== undefined) this.#tellFailure(connection, undefined);
      return undefined;
    } finally {
      if (outer) {
        this.#closeOverdrawn();
        this.#moment = undefined;
      }
    }
  }

  #tellFailure(connection: C, frame: string | ArrayBuffer | undefined): void {
    try {
      const requestId = frame === undefined ? undefined : this.#service.peekRequestId(frame);
      const text = "the server failed to handle this message; it was dropped";
      const answer = this.#service.refusalFrame("internal_error", text, requestId);
      if (answer !== undefined) this.#transport.send(connection, answer);
    } catch {
      // Nothing more to tell a connection that cannot be written to.
    }
  }

  /** A connection handed more than it reads, of what it asked for itself: closed, and held like any drop. */
  #closeOverdrawn(): void {
    for (const connection of this.#overdrawn) {
      this.#overdrawn.delete(connection);
      this.#log("warn", "outbound_budget_exceeded", connection, { code: CLOSE_NOT_READING });
      this.#letGo(connection, "dropped", CLOSE_NOT_READING, "asked for more than it reads");
    }
  }

  #recordOf(connection: C): ConnectionRecord<S> {
    let record = this.#records.get(connection);
    if (!record) {
      // A connection met for the first time (a host that skipped `open`): known from now on.
      record = new ConnectionRecord<S>(this.#now(), "", undefined);
      this.#records.set(connection, record);
    }
    return record;
  }

  #now(): number {
    return this.#moment ?? this.#clock();
  }

  #log(level: LogLevel, event: string, connection: C | undefined, fields: LogFields = {}): void {
    const about = connection === undefined ? {} : (this.#service.describe?.(connection) ?? {});
    logEvent(level, event, { room: this.#name, protocol: this.#service.protocol, ...about, ...fields });
  }
}
