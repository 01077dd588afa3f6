/**
 * Everything a room does with a connection, from the moment it is accepted to its close: admit, rate-limit,
 * decode, hand to the room, encode and deliver. It runs on any host through a small `Transport`; the Durable
 * Object and the tests are such hosts. Every entry point catches, logs the room and peer (never the relayed data)
 * and answers the client with an error, never a stack trace.
 *
 * The relay path (`message` for a relay to a connected peer) touches no storage and awaits nothing.
 */

import { Admission, type Refusal } from "./admission.js";
import { CLOSE_NOT_READING, CLOSE_POLICY_VIOLATION, isAbruptCloseCode, isGoodbye } from "./close-codes.js";
import type { Codec } from "./codec.js";
import { ConnectionRecord, SEQ_BLOCK } from "./connection-record.js";
import type { ConnectionState } from "./connection-state.js";
import { Delivery } from "./delivery.js";
import { type RoomCommand, roomError } from "./events.js";
import { JoinGate } from "./join-gate.js";
import type { Limits } from "./limits.js";
import { listCharge } from "./list-charge.js";
import { describeError, type LogFields, type LogLevel, logEvent } from "./log.js";
import { TokenBucket } from "./rate-limit.js";
import { type ReservationStore, Reservations } from "./reservations.js";
import { Revision, type RevisionStore } from "./revision.js";
import { Room } from "./room.js";
import type { Transport } from "./transport.js";
import { Wakeups } from "./wakeups.js";

export type { Transport } from "./transport.js";

/** Who a connection is, as the host learned it before accepting it. */
export interface Identity {
  /** Where it connected from; "" or absent when unknown. */
  address?: string;
  /** The only peer id it may register (its join token's `sub`). */
  subject?: string;
}

export type { Refusal } from "./admission.js";

/** What a room holds and has done since it woke, for the admin route. */
export interface RoomStats {
  peers: number;
  connections: number;
  watchers: number;
  reservations: number;
  mailboxMessages: number;
  mailboxBytes: number;
  messagesIn: number;
  messagesOut: number;
  /** What `messagesIn` bills as Durable Object requests (incoming WebSocket messages bill 20:1). */
  billedRequests: number;
  awakeSince: string;
}

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
  readonly #records = new WeakMap<C, ConnectionRecord>();
  /** The time of the message being handled: one clock reading serves the whole message. */
  #moment: number | undefined;
  readonly #wakeups: Wakeups;
  readonly #delivery: Delivery<C>;
  #roomName: string;
  readonly #admission: Admission<C>;
  readonly #gate: JoinGate;
  readonly #wokeAt: number;
  readonly #onEmpty: (() => void) | undefined;
  #messagesIn = 0;
  #messagesOut = 0;

  constructor(options: PipelineOptions<C>) {
    this.#codec = options.codec;
    this.#limits = options.limits;
    const host = options.transport;
    // Counts what is sent, for the stats; otherwise the host's transport as it is.
    this.#transport = {
      ...host,
      send: (connection, text) => {
        this.#messagesOut++;
        return host.send(connection, text);
      },
    };
    this.#gate = new JoinGate(options.limits);
    this.#roomName = options.roomName;
    this.#now = options.now ?? Date.now;
    this.#wokeAt = this.#now();
    this.#onEmpty = options.onEmpty;
    const clock = () => this.#moment ?? this.#now();
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
      openedAt: (connection) => this.#recordOf(connection).openedAt,
      now: this.#now,
      close: (connection, code, reason) => this.#delivery.disconnect(connection, code, reason),
    });
    this.#delivery = new Delivery({
      ...options,
      transport: this.#transport,
      room: this.#room,
      now: clock,
      roomName: () => this.#roomName,
      recordOf: (connection) => this.#recordOf(connection),
      onCeiling: (connection) => this.#saveState(connection, this.#recordOf(connection).lastSeen),
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
    if (now - this.#recordOf(connection).lastSeen <= this.#limits.idleTimeoutMs) return true;
    return now - (this.#transport.lastAutoResponse(connection) ?? 0) <= this.#limits.idleTimeoutMs;
  }

  get roomName(): string {
    return this.#roomName;
  }

  /** Takes back a connection the host kept across a wake, with the state saved for it. */
  restore(connection: C, state: ConnectionState | undefined): void {
    const record = new ConnectionRecord(state?.seen ?? this.#now(), state?.seq);
    record.address = state?.address ?? "";
    record.subject = state?.subject;
    this.#records.set(connection, record);
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
    const record = new ConnectionRecord(this.#now());
    record.address = identity.address ?? "";
    record.subject = identity.subject;
    this.#records.set(connection, record);
    this.#admission.opened(connection, record.address);
    // Kept with the connection from the start, so that a wake before it registers still knows who it is.
    if (record.address !== "" || record.subject !== undefined) this.#saveState(connection, record.lastSeen);
  }

  /** What the room holds and has done since it woke. */
  stats(): RoomStats {
    const reservations = this.#room.reservationStats();
    return {
      peers: this.#room.peerCount,
      connections: this.#transport.countConnections(),
      watchers: this.#room.watcherCount,
      reservations: reservations.count,
      mailboxMessages: reservations.messages,
      mailboxBytes: reservations.bytes,
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      billedRequests: Math.ceil(this.#messagesIn / 20),
      awakeSince: new Date(this.#wokeAt).toISOString(),
    };
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    let requestId: string | undefined;
    try {
      const now = this.#now();
      this.#moment = now;
      this.#messagesIn++;
      const record = this.#recordOf(connection);
      this.#noteSeen(connection, record, now);
      record.bucket ??= new TokenBucket(this.#limits, now);
      const bucket = record.bucket;
      // The token is taken before the frame is parsed: parsing is the work the rate bounds.
      const verdict = bucket.take(now);
      if (verdict !== "ok") {
        requestId = this.#codec.peekRequestId(frame);
        this.#delivery.send(connection, roomError("rate_limited", this.#rateText(), requestId));
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
      this.#handle(connection, this.#recordOf(connection), command, now);
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
      this.#saveState(connection, now);
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

  #recordOf(connection: C): ConnectionRecord {
    let record = this.#records.get(connection);
    if (!record) {
      record = new ConnectionRecord(this.#moment ?? this.#now());
      this.#records.set(connection, record);
    }
    return record;
  }

  /** A registered peer is leaving: its address pays for the presence events of its stay. */
  #chargePresence(connection: C): void {
    if (!this.#room.registrationOf(connection)) return;
    this.#gate.leaving(this.#recordOf(connection).address, this.#room.watcherCount, this.#moment ?? this.#now());
  }

  #forgetIfEmpty(): void {
    if (this.#admission.count > 0 || !this.#room.isEmpty) return;
    this.#room.forget();
    this.#onEmpty?.();
  }

  #reschedule(): void {
    this.#wakeups.update(this.#room.nextDeadline(), this.#room.watcherCount);
  }

  /**
   * A sign of life. Saved with the connection's state at most every quarter of the idle timeout (an attachment
   * write, not storage), so that after a wake a silent connection is still known to be silent.
   */
  #noteSeen(connection: C, record: ConnectionRecord, now: number): void {
    record.lastSeen = now;
    if (now - record.seenSaved > this.#limits.idleTimeoutMs / 4) this.#saveState(connection, now);
  }

  #saveState(connection: C, now: number): void {
    const record = this.#recordOf(connection);
    record.seenSaved = now;
    // Reserve the numbering ahead now, so that the first relays do not each cost a save of their own.
    if (record.sent.ceiling <= record.sent.seq) record.sent.ceiling = record.sent.seq + SEQ_BLOCK;
    const registration = this.#room.registrationOf(connection);
    const seq = record.sent.ceiling;
    const state: ConnectionState = { room: this.#roomName, ...registration, seen: now };
    if (seq) state.seq = seq;
    if (record.address !== "") state.address = record.address;
    if (record.subject !== undefined) state.subject = record.subject;
    this.#transport.save(connection, state);
  }

  /** An abuser leaves at once, with no reservation to come back to. */
  #closeAbusive(connection: C): void {
    this.#log("warn", "rate_abuse_closed", connection, { code: "rate_limited" });
    this.#delivery.deliver(this.#room.leave(connection, "clean"), connection);
    this.#delivery.disconnect(connection, CLOSE_POLICY_VIOLATION, "rate limit exceeded for too long");
  }

  #rateText(): string {
    const { ratePerSecond, rateBurst } = this.#limits;
    return `over the rate limit of ${ratePerSecond} messages/s (bursts of ${rateBurst}); the message was dropped`;
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
