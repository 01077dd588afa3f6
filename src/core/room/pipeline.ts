/**
 * Everything a room does with a connection, from the moment it is accepted to its close: admit, rate-limit,
 * decode, hand to the room, encode and deliver. It runs on any host through a small `Transport`; the Durable
 * Object and the tests are such hosts. Every entry point catches, logs the room and peer (never the relayed data)
 * and answers the client with an error, never a stack trace.
 *
 * The relay path (`message` for a relay to a connected peer) touches no storage and awaits nothing.
 */

import type { Limits } from "../config/limits.js";
import { Admission, type Refusal } from "../connection/admission.js";
import type { ConnectionRecord } from "../connection/connection-record.js";
import { ConnectionRecords, type Identity } from "../connection/connection-records.js";
import type { ConnectionState } from "../connection/connection-state.js";
import { rateLimitedText, TokenBucket } from "../connection/rate-limit.js";
import type { Transport } from "../connection/transport.js";
import { describeError, type LogFields, type LogLevel, logEvent } from "../log.js";
import { CLOSE_NOT_READING, CLOSE_POLICY_VIOLATION, isAbruptCloseCode, isGoodbye } from "../wire/close-codes.js";
import type { Codec } from "./codec.js";
import { Delivery } from "./delivery.js";
import { type RoomCommand, roomError } from "./events.js";
import { JoinGate } from "./join-gate.js";
import { listCharge } from "./list-charge.js";
import { type ReservationStore, Reservations } from "./reservations.js";
import { Revision, type RevisionStore } from "./revision.js";
import { Room } from "./room.js";
import { type RoomStats, Traffic } from "./room-stats.js";
import { Wakeups } from "./wakeups.js";

export type { Refusal } from "../connection/admission.js";
export type { Identity } from "../connection/connection-records.js";
export type { Transport } from "../connection/transport.js";
export type { RoomStats } from "./room-stats.js";

export interface PipelineOptions<C> {
  codec: Codec;
  revisionStore: RevisionStore;
  reservationStore: ReservationStore;
  limits: Limits;
  transport: Transport<C>;
  /** For logs and the connection state; may be learned later from a restored connection (`restore`). */
  roomName: string;
  now?: () => number;
  /**
   * The room holds nothing any more (no connection, no peer, no id held): the host may delete its storage, so that
   * rooms opened and left behind cost nothing. Called again each time the room empties.
   */
  onEmpty?: () => void;
}

export class Pipeline<C extends object> {
  readonly #room: Room<C>;
  readonly #codec: Codec;
  readonly #limits: Limits;
  readonly #transport: Transport<C>;
  readonly #now: () => number;
  readonly #records: ConnectionRecords<C>;
  /** The time of the message being handled: one clock reading serves the whole message. */
  #moment: number | undefined;
  readonly #wakeups: Wakeups;
  readonly #delivery: Delivery<C>;
  #roomName: string;
  readonly #admission: Admission<C>;
  readonly #gate: JoinGate;
  readonly #traffic: Traffic;
  readonly #onEmpty: (() => void) | undefined;

  constructor(options: PipelineOptions<C>) {
    this.#codec = options.codec;
    this.#limits = options.limits;
    this.#now = options.now ?? Date.now;
    this.#traffic = new Traffic(this.#now());
    this.#transport = this.#traffic.counting(options.transport);
    this.#gate = new JoinGate(options.limits);
    this.#roomName = options.roomName;
    this.#onEmpty = options.onEmpty;
    const clock = () => this.#moment ?? this.#now();
    this.#records = new ConnectionRecords<C>({
      now: clock,
      idleTimeoutMs: options.limits.idleTimeoutMs,
      roomName: () => this.#roomName,
      registrationOf: (connection) => this.#room.registrationOf(connection),
      save: (connection, state) => this.#transport.save(connection, state),
    });
    this.#wakeups = new Wakeups((at) => this.#transport.schedule(at), clock, options.limits.idleTimeoutMs);
    this.#room = new Room<C>({
      revision: new Revision(options.revisionStore),
      reservations: new Reservations(options.reservationStore, options.limits),
      graceMs: options.limits.resumeGraceMs,
      now: clock,
      isLive: (connection) => this.isLive(connection),
      unacked: (connection) => this.#delivery.takeUnacked(connection),
    });
    this.#admission = new Admission<C>({
      limits: options.limits,
      countConnections: () => this.#transport.countConnections(),
      openedAt: (connection) => this.#records.of(connection).openedAt,
      now: this.#now,
      close: (connection, code, reason) => this.#delivery.disconnect(connection, code, reason),
    });
    this.#delivery = new Delivery({
      ...options,
      transport: this.#transport,
      room: this.#room,
      now: clock,
      roomName: () => this.#roomName,
      recordOf: (connection) => this.#records.of(connection),
      onCeiling: (connection) => this.#records.save(connection, this.#records.of(connection).lastSeen),
      onNotReading: (connection) =>
        this.#log("warn", "outbound_budget_exceeded", connection, { code: CLOSE_NOT_READING }),
    });
  }

  /** The room, for hosts' stats and tests; commands reach it only through `message`. */
  get room(): Room<C> {
    return this.#room;
  }

  /** Whether the connection has shown a sign of life (a message, or a keepalive the runtime answered) lately. */
  isLive(connection: C): boolean {
    const now = this.#moment ?? this.#now();
    if (now - this.#records.of(connection).lastSeen <= this.#limits.idleTimeoutMs) return true;
    return now - (this.#transport.lastAutoResponse(connection) ?? 0) <= this.#limits.idleTimeoutMs;
  }

  get roomName(): string {
    return this.#roomName;
  }

  /** Takes back a connection the host kept across a wake, with the state saved for it. */
  restore(connection: C, state: ConnectionState | undefined): void {
    const record = this.#records.restore(connection, state, this.#now());
    this.#admission.restore(connection, state?.peerId !== undefined, record.address);
    if (!state) return;
    this.#roomName ||= state.room;
    if (state.peerId !== undefined) {
      const { peerId, presence = false, token = "" } = state;
      this.#room.restore(connection, { peerId, presence, token });
    }
  }

  /** Whether one more connection (from `address`) fits in the room, asked before it is accepted; else how to refuse it. */
  admit(address = ""): Refusal | undefined {
    const refusal = this.#admission.admit(address, (text) =>
      this.#codec.encode(roomError("room_full", `room is ${text}`)),
    );
    if (refusal?.kind === "http") this.#log("warn", "connection_refused", undefined, { code: refusal.code });
    return refusal;
  }

  /** A connection was admitted and accepted. */
  open(connection: C, identity: Identity = {}): void {
    const record = this.#records.open(connection, identity, this.#now());
    this.#admission.opened(connection, record.address);
  }

  /** What the room holds and has done since it woke. */
  stats(): RoomStats {
    return this.#traffic.stats(this.#room, this.#transport.countConnections());
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    let requestId: string | undefined;
    try {
      const now = this.#now();
      this.#moment = now;
      this.#traffic.messagesIn++;
      const record = this.#records.of(connection);
      this.#records.seen(connection, record, now);
      record.bucket ??= new TokenBucket(this.#limits, now);
      const bucket = record.bucket;
      // The token is taken before the frame is parsed: parsing is the work the rate bounds.
      const verdict = bucket.take(now);
      if (verdict !== "ok") {
        requestId = this.#codec.peekRequestId(frame);
        this.#delivery.send(connection, roomError("rate_limited", rateLimitedText(this.#limits), requestId));
        if (verdict === "abusive") this.#closeAbusive(connection);
        return;
      }
      const decoded = this.#codec.decode(frame, this.#limits);
      requestId = decoded.ok ? decoded.command.requestId : decoded.error.requestId;
      if (!decoded.ok) {
        this.#delivery.send(connection, decoded.error);
        return;
      }
      this.#handle(connection, record, decoded.command, now);
    } catch (error) {
      this.#fail(connection, "message_failed", error, requestId);
    } finally {
      this.#moment = undefined;
    }
  }

  /**
   * A command the host makes on a connection's behalf, as if the client had sent it: a protocol whose clients
   * register by connecting (PeerJS) is registered this way right after `open`.
   */
  command(connection: C, command: RoomCommand): void {
    try {
      const now = this.#now();
      this.#moment = now;
      this.#handle(connection, this.#records.of(connection), command, now);
    } catch (error) {
      this.#fail(connection, "command_failed", error, command.requestId);
    } finally {
      this.#moment = undefined;
    }
  }

  #handle(connection: C, record: ConnectionRecord, command: RoomCommand, now: number): void {
    const requestId = command.requestId;
    if (command.type === "register" && !this.#room.registrationOf(connection)) {
      const refusal = this.#gate.refusal(record, command.peerId, this.#room.watcherCount, now);
      if (refusal) {
        this.#delivery.send(connection, roomError(refusal.code, refusal.text, requestId));
        return;
      }
    }
    const out = this.#room.handle(connection, command);
    this.#delivery.deliver(out, connection, requestId);
    if (command.type === "register" && this.#room.registrationOf(connection)) {
      this.#admission.registered(connection);
      this.#records.save(connection, now);
    }
    // A peer list is charged by its size, so that a small request cannot buy a large answer at the rate of one.
    if (command.type === "register" || command.type === "list_peers") {
      record.bucket?.charge(listCharge(out, connection));
    }
    // A relay straight to a live peer changes no deadline; anything else may.
    if (command.type !== "relay" || out.length !== 1 || out[0]?.event.type !== "relay") this.#reschedule();
  }

  /**
   * The connection closed (the host answers the Close frame). After a goodbye (`isGoodbye`) its peer leaves at
   * once; after anything else its id is held for it to resume.
   */
  closed(connection: C, code: number): void {
    this.#admission.closed(connection);
    try {
      // A dropped network (1006) is routine; anything else worth a line is the client's own code.
      if (isAbruptCloseCode(code)) this.#log("debug", "socket_dropped", connection, { code });
      const how = isGoodbye(code) ? "clean" : "dropped";
      this.#chargePresence(connection);
      this.#delivery.deliver(this.#room.leave(connection, how), connection);
      this.#reschedule();
      this.#forgetIfEmpty();
    } catch (error) {
      this.#fail(connection, "close_failed", error);
    }
  }

  /** The host saw the connection fail. Routine (a client vanished), so logged at debug; its id is held. */
  failed(connection: C, error: unknown): void {
    try {
      this.#log("debug", "socket_error", connection, { error: describeError(error) });
      this.#chargePresence(connection);
      this.#delivery.deliver(this.#room.leave(connection, "dropped"), connection);
      this.#reschedule();
    } catch (failure) {
      this.#fail(connection, "socket_error_failed", failure);
    }
  }

  /**
   * The wake-up asked with `Transport.schedule` came: reservations that ran out end (their senders are told),
   * and, where presence watchers would otherwise wait for a `peer_left` that nothing else would notice, silent
   * connections are dropped.
   */
  alarm(): void {
    try {
      const out = this.#room.expire();
      if (this.#wakeups.woke(this.#room.watcherCount)) out.push(...this.#room.sweep());
      this.#delivery.deliver(out);
      this.#reschedule();
      this.#forgetIfEmpty();
    } catch (error) {
      this.#log("error", "alarm_failed", undefined, { error: describeError(error) });
    }
  }

  /** A registered peer is leaving: its address pays for the presence events of its stay. */
  #chargePresence(connection: C): void {
    if (!this.#room.registrationOf(connection)) return;
    this.#gate.leaving(this.#records.of(connection).address, this.#room.watcherCount, this.#moment ?? this.#now());
  }

  #forgetIfEmpty(): void {
    if (this.#admission.count > 0 || !this.#room.isEmpty) return;
    this.#room.forget();
    this.#onEmpty?.();
  }

  #reschedule(): void {
    this.#wakeups.update(this.#room.nextDeadline(), this.#room.watcherCount);
  }

  /** An abuser leaves at once, with no reservation to come back to. */
  #closeAbusive(connection: C): void {
    this.#log("warn", "rate_abuse_closed", connection, { code: "rate_limited" });
    this.#delivery.deliver(this.#room.leave(connection, "clean"), connection);
    this.#delivery.disconnect(connection, CLOSE_POLICY_VIOLATION, "rate limit exceeded for too long");
  }

  /** Logs one line and tells the client, echoing its request id so that a waiting request settles. */
  #fail(connection: C, event: string, error: unknown, requestId?: string): void {
    this.#log("error", event, connection, { code: "internal_error", error: describeError(error) });
    try {
      const text = "the server failed to handle this message; it was dropped";
      this.#delivery.send(connection, roomError("internal_error", text, requestId));
    } catch {
      // Nothing more to tell a connection that cannot be written to.
    }
  }

  #log(level: LogLevel, event: string, connection: C | undefined, fields: LogFields): void {
    const peerId = connection === undefined ? undefined : this.#room.registrationOf(connection)?.peerId;
    logEvent(level, event, { room: this.#roomName, peer_id: peerId, ...fields });
  }
}
