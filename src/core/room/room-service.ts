/**
 * The room behind the connection front, for the protocols that relay to a peer id (the seed protocol, PeerJS): each
 * frame decoded by the protocol's codec, checked against who may register, handed to the room with the facts of
 * the moment, and what the room says encoded and handed out. Data runs one way: front, codec, room, encode, front,
 * socket. The relay path (a relay to a live peer) touches no storage and awaits nothing.
 */
import type { Refusal } from "../connection/admission.js";
import type { Departure, FrontErrorCode, Outlet, Service } from "../connection/service.js";
import type { LogFields } from "../log.js";
import { describeMeta } from "../wire/parse-client.js";
import { isValidPeerId } from "../wire/protocol.js";
import type { Codec } from "./codec.js";
import { type Outbound, type RoomCommand, type RoomError, type RoomEvent, roomError } from "./events.js";
import { JoinGate } from "./join-gate.js";
import { listCharge } from "./list-charge.js";
import { type ReservationStore, Reservations } from "./reservations.js";
import { RESUME_TOKEN_LENGTH } from "./resume-token.js";
import { Revision, type RevisionStore } from "./revision.js";
import { type HandedRelay, type PresenceChange, Room, type RoomFacts } from "./room.js";
import { SentLog } from "./sent-log.js";
import { Wakeups } from "./wakeups.js";

/** What a room keeps with each registered connection: its registration, and how far its relays were numbered. */
export interface RoomState {
  peerId: string;
  presence: boolean;
  /** The registration's resume token, so that it can still be taken over after a wake. */
  token: string;
  /** The highest of the client's relay numbers taken in: saved as it moves, so a wake never takes one in twice. */
  acked?: number;
  /** Relays to this connection are numbered past this after a wake (see sent-log.ts). */
  seq?: number;
  /** It was handed relays: after a wake, those are not in the ring any more. */
  handed?: true;
  /** The `meta` it registered with (counted in the attachment: `MAX_META_BYTES` is bounded to fit). */
  meta?: unknown;
}

/** What one room holds, for the admin route. */
export type RoomStats = {
  peers: number;
  watchers: number;
  reservations: number;
  mailboxMessages: number;
  mailboxBytes: number;
};

export interface RoomServiceOptions {
  codec: Codec;
  revisionStore: RevisionStore;
  reservationStore: ReservationStore;
  /**
   * Write each connected peer's registration too (two rows a session), so that an end nobody is told of (a crash,
   * SIGKILL, a Cloudflare deploy) still leaves its id held for it (`PERSIST_REGISTRATIONS`).
   */
  persistRegistrations?: boolean;
  /**
   * The room holds nothing any more (no connection, no peer, no id held): the host may delete its storage, so that
   * rooms opened and left behind cost nothing. Called again each time the room empties.
   */
  onEmpty?: () => void;
  /** Told of every peer that joins or leaves (for webhooks). */
  onPresence?: (change: PresenceChange) => void;
}

/** The longest resume token kept: the room's own are 22 characters, a PeerJS client's own up to 64. */
const MAX_TOKEN_LENGTH = Math.max(64, RESUME_TOKEN_LENGTH);

export class RoomService<C extends object> implements Service<C, RoomState> {
  readonly protocol: string;
  readonly heartbeats: boolean;
  readonly room: Room<C>;
  readonly #outlet: Outlet<C, RoomState>;
  readonly #codec: Codec;
  readonly #gate: JoinGate;
  readonly #wakeups: Wakeups;
  readonly #sent = new WeakMap<C, SentLog>();
  readonly #facts: RoomFacts<C>;
  readonly #onEmpty: (() => void) | undefined;

  constructor(outlet: Outlet<C, RoomState>, options: RoomServiceOptions) {
    this.#outlet = outlet;
    this.#codec = options.codec;
    this.protocol = options.codec.name;
    this.heartbeats = options.codec.heartbeats;
    this.#onEmpty = options.onEmpty;
    const { limits } = outlet;
    this.#gate = new JoinGate(limits);
    this.#wakeups = new Wakeups((at) => outlet.schedule(at), outlet.now, limits.idleTimeoutMs);
    this.room = new Room<C>({
      revision: new Revision(options.revisionStore),
      reservations: new Reservations(options.reservationStore, limits, options.persistRegistrations === true),
      graceMs: limits.resumeGraceMs,
      ...(options.onPresence ? { onPresence: options.onPresence } : {}),
    });
    const sent = this.#sent;
    this.#facts = {
      get now() {
        return outlet.now();
      },
      isLive: (connection) => outlet.isLive(connection),
      handed: (connection) => sent.get(connection)?.relays() ?? NONE,
      replayFrom: (connection) => sent.get(connection)?.replayFrom() ?? 1,
    };
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    const decoded = this.#codec.decode(frame, this.#outlet.limits);
    if (decoded.ok) this.#handle(connection, decoded.command);
    else this.#tell(connection, decoded.error);
  }

  refusalFrame(code: FrontErrorCode, message: string, requestId?: string): string | undefined {
    return this.#codec.encode(roomError(code, code === "room_full" ? `room is ${message}` : message, requestId));
  }

  peekRequestId(frame: string | ArrayBuffer): string | undefined {
    return this.#codec.peekRequestId(frame);
  }

  refuse(query: URLSearchParams): Refusal | undefined {
    const asked = this.#codec.connect?.(query);
    return asked && "refusal" in asked ? asked.refusal : undefined;
  }

  opened(connection: C, query: URLSearchParams): void {
    const asked = this.#codec.connect?.(query);
    if (asked && "register" in asked) this.#handle(connection, asked.register);
  }

  parseState(value: unknown): RoomState | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const { peerId, presence, token, acked, seq, handed, meta } = value as Record<string, unknown>;
    if (!isValidPeerId(peerId) || typeof presence !== "boolean") return undefined;
    if (typeof token !== "string" || token === "" || token.length > MAX_TOKEN_LENGTH) return undefined;
    const state: RoomState = { peerId, presence, token };
    if (isCount(acked)) state.acked = acked;
    if (isCount(seq)) state.seq = seq;
    if (handed === true) state.handed = true;
    // Kept only while within today's limits (a setting may have been lowered since it was written).
    if (meta !== undefined && meta !== null && describeMeta(meta, this.#outlet.limits) === undefined) state.meta = meta;
    return state;
  }

  restore(connection: C, state: RoomState | undefined): void {
    if (!state) return;
    this.#sent.set(connection, new SentLog(state.seq, state.handed === true));
    const { peerId, presence, token, acked = 0, meta } = state;
    this.room.restore(connection, { peerId, presence, token, acked, ...(meta === undefined ? {} : { meta }) });
  }

  /**
   * Every connection the host kept is back. None registered: if this start follows a crash, a kill or a deploy,
   * the ids their connections claimed are held for them to come back to, as after any drop.
   */
  restored(): void {
    const adopted = this.room.adoptOrphans(this.#facts);
    if (adopted.length === 0) return;
    this.#outlet.log("info", "ids_held_after_restart", undefined, { peers: adopted.length });
    this.#reschedule();
  }

  /**
   * The connection is gone. After a goodbye its peer leaves at once; after a drop its id is held for it to resume,
   * with what was last handed to it. Either way its address pays for the presence events of its stay.
   */
  gone(connection: C, how: Departure): void {
    if (this.room.registrationOf(connection)) {
      const { address } = this.#outlet.identity(connection);
      this.#gate.leaving(address, this.room.watcherCount, this.#outlet.now());
    }
    this.#deliver(this.room.leave(connection, how === "goodbye" ? "clean" : "dropped", this.#facts));
    this.#sent.delete(connection);
    this.#reschedule();
    this.#forgetIfEmpty();
  }

  /**
   * The wake-up came: reservations that ran out end (their senders are told) and, while presence watchers would
   * otherwise wait for a `peer_left` nothing else would notice, connections that fell silent are dropped.
   */
  alarm(): void {
    const out = this.room.expire(this.#facts);
    if (this.#wakeups.woke(this.room.watcherCount)) out.push(...this.room.sweep(this.#facts));
    this.#deliver(out);
    this.#reschedule();
    this.#forgetIfEmpty();
  }

  describe(connection: C): LogFields {
    return { peer_id: this.room.registrationOf(connection)?.peerId };
  }

  stats(): RoomStats {
    const reservations = this.room.reservationStats();
    return {
      peers: this.room.peerCount,
      watchers: this.room.watcherCount,
      reservations: reservations.count,
      mailboxMessages: reservations.messages,
      mailboxBytes: reservations.bytes,
    };
  }

  #handle(connection: C, command: RoomCommand): void {
    const { requestId } = command;
    const outlet = this.#outlet;
    if (command.type === "ping") outlet.keptAlive(connection);
    const registering = command.type === "register" && !this.room.registrationOf(connection);
    if (registering) {
      const joiner = outlet.identity(connection);
      const refusal = this.#gate.refusal(joiner, command.peerId, this.room.watcherCount, outlet.now());
      if (refusal) {
        this.#tell(connection, roomError(refusal.code, refusal.text, requestId));
        return;
      }
    }
    const changes = this.room.reservationChanges;
    const acked = this.room.registrationOf(connection)?.acked;
    const out = this.room.handle(connection, command, this.#facts);
    if (command.type === "relay" && isKept(command, acked, out)) outlet.meter.relay("kept");
    this.#deliver(out, connection, requestId);
    if (command.type === "register" && this.room.registrationOf(connection)) {
      // Saved at every register, first or again (presence may have changed), with the numbering reserved ahead.
      outlet.registered(connection);
      this.#sentLog(connection).reserve();
      this.#save(connection);
    } else if (command.type === "relay" && this.room.registrationOf(connection)?.acked !== acked) {
      // A numbered relay taken in: saved at once, so that a wake can never take the same relay in twice.
      this.#save(connection);
    }
    // A peer list is charged by its size, so that a small request cannot buy a large answer at the rate of one.
    if (command.type === "register" || command.type === "list_peers")
      outlet.charge(connection, listCharge(out, connection));
    // A relay to a live peer moves no deadline; anything else may.
    if (command.type !== "relay" || this.room.reservationChanges !== changes) this.#reschedule();
  }

  /** Hands each event out: a broadcast encoded once, each relay numbered; closes carried out. */
  #deliver(out: Outbound<C>[], origin?: C, requestId?: string): void {
    let last: RoomEvent | undefined;
    let text: string | undefined;
    for (const { to, event } of out) {
      if (event.type === "relay") {
        this.#relay(to, event, origin, requestId);
        continue;
      }
      if (event.type === "error" && event.to !== undefined) {
        this.#answer(to, event);
        continue;
      }
      if (event.type === "error") this.#outlet.meter.error(event.code);
      if (event.type === "disconnect") {
        this.#sent.delete(to);
        this.#outlet.disconnect(to, event.code, event.reason);
        continue;
      }
      if (event !== last) {
        last = event;
        text = this.#codec.encode(event);
      }
      if (text === undefined) continue;
      // Presence is news of others, skipped for a watcher that cannot take more; anything else answers its receiver.
      const notice = event.type === "peer_joined" || event.type === "peer_left";
      this.#outlet.send(to, text, notice ? "notice" : "reply");
    }
  }

  /**
   * One relay to `to`: charged to its sender's byte rate, refused if the receiver cannot take more (the sender is
   * told, the receiver is not closed), numbered and remembered once handed over. A relay to the connection that
   * asked for it (what a resume brings back) is its own answer.
   */
  #relay(to: C, event: Extract<RoomEvent, { type: "relay" }>, origin: C | undefined, requestId?: string): void {
    const outlet = this.#outlet;
    const log = this.#sentLog(to);
    event.seq = log.seq + 1;
    const text = this.#codec.encode(event);
    if (text === undefined) return;
    const own = origin === undefined || origin === to;
    if (!own) {
      const refusal = outlet.spend(origin, text.length);
      if (refusal !== undefined) {
        const error = roomError("rate_limited", refusal, requestId);
        error.to = this.room.registrationOf(to)?.peerId ?? "";
        this.#answer(origin, error);
        return;
      }
    }
    const handed = outlet.send(to, text, own ? "reply" : "event");
    if (handed === "sent") {
      if (!own) outlet.meter.relaysDelivered++;
      const ceilingMoved = log.record(event.from, event.data);
      if (ceilingMoved || !log.handedSaved) {
        log.handedSaved = true;
        this.#save(to);
      }
      return;
    }
    if (own) return;
    const target = this.room.registrationOf(to)?.peerId ?? "";
    if (handed === "busy") {
      const why = `peer "${target}" is being sent more than it reads; the relay was not delivered, try again later`;
      const error = roomError("target_busy", why, requestId);
      error.to = target;
      this.#answer(origin, error);
      return;
    }
    const error = roomError("unknown_peer", "the target peer is disconnecting; the relay was not delivered", requestId);
    error.to = target;
    this.#answer(origin, error);
  }

  /**
   * An answer to one of the connection's relays (an error naming its target): numbered and kept with the relays
   * handed to it, so that a drop that loses it in flight cannot leave the sender untold (see `HandedRelay`).
   */
  #answer(connection: C, error: RoomError): void {
    this.#outlet.meter.error(error.code);
    this.#outlet.meter.relay("undeliverable");
    const log = this.#sentLog(connection);
    error.seq = log.seq + 1;
    const text = this.#codec.encode(error);
    if (text === undefined || this.#outlet.send(connection, text, "reply") !== "sent") return;
    const { seq: _seq, ...unnumbered } = error;
    if (log.record("", JSON.stringify(unnumbered)) || !log.handedSaved) {
      log.handedSaved = true;
      this.#save(connection);
    }
  }

  #tell(connection: C, error: RoomError): void {
    this.#outlet.meter.error(error.code);
    const text = this.#codec.encode(error);
    if (text !== undefined) this.#outlet.send(connection, text, "reply");
  }

  #sentLog(connection: C): SentLog {
    let log = this.#sent.get(connection);
    if (!log) {
      log = new SentLog();
      this.#sent.set(connection, log);
    }
    return log;
  }

  /** What a wake needs of the connection's registration and numbering, saved with it. */
  #save(connection: C): void {
    const registration = this.room.registrationOf(connection);
    if (!registration) return;
    const log = this.#sentLog(connection);
    const { peerId, presence, token, acked, meta } = registration;
    const state: RoomState = { peerId, presence, token, seq: log.ceiling };
    if (acked > 0) state.acked = acked;
    if (meta !== undefined) state.meta = meta;
    if (log.handedSaved) state.handed = true;
    this.#outlet.save(connection, state);
  }

  #reschedule(): void {
    this.#wakeups.update(this.room.nextDeadline(), this.room.watcherCount);
  }

  #forgetIfEmpty(): void {
    if (this.#outlet.connectionCount() > 0 || !this.room.isEmpty) return;
    this.room.forget();
    this.#onEmpty?.();
  }
}

const NONE: readonly HandedRelay[] = [];

/** A relay taken in (not one sent again) that went to no connection and was not refused: kept in a mailbox. */
function isKept(command: Extract<RoomCommand, { type: "relay" }>, acked: number | undefined, out: Outbound<unknown>[]) {
  if (acked === undefined || (command.seq !== undefined && command.seq <= acked)) return false;
  return !out.some(({ event }) => event.type === "relay" || event.type === "error");
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}
