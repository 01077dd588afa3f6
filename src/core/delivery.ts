/**
 * Handing a room's events to connections: each broadcast encoded once, each connection within its outbound budget,
 * closes carried out with the connection's saved state cleared first.
 */
import { CLOSE_NOT_READING } from "./close-codes.js";
import type { Codec } from "./codec.js";
import { type Outbound, type RoomError, type RoomEvent, roomError } from "./events.js";
import { type Limits, MAX_UNACKED_CHARS, MAX_UNACKED_RELAYS } from "./limits.js";
import { OutboundBudget } from "./outbound-budget.js";
import type { Room } from "./room.js";
import type { Transport } from "./transport.js";

export interface DeliveryOptions<C> {
  codec: Codec;
  transport: Transport<C>;
  room: Room<C>;
  limits: Limits;
  now: () => number;
  roomName: () => string;
  onNotReading: (connection: C) => void;
  /** Save the connection's state again: its `seq` ceiling moved. */
  onCeiling: (connection: C) => void;
}

/** A relay handed to a connection, which its client may not have received if the connection then dropped. */
export interface SentRelay {
  seq: number;
  from: string;
  data: unknown;
  chars: number;
}

interface SentLog {
  seq: number;
  /** Saved with the connection: after a wake, numbering resumes past it, so `seq` never goes backwards. */
  ceiling: number;
  recent: SentRelay[];
  chars: number;
}

/** How far a connection's `seq` may run past its saved ceiling: one attachment write per this many relays. */
const SEQ_BLOCK = 1_000;

export class Delivery<C extends object> {
  readonly #budgets = new WeakMap<C, OutboundBudget>();
  readonly #sent = new WeakMap<C, SentLog>();

  constructor(private readonly options: DeliveryOptions<C>) {}

  /**
   * Sends each event. A relay that cannot be handed over is answered to `origin` (echoing `requestId`): kept
   * for its target if the target is dropped for not reading, refused if the target is already closing.
   */
  deliver(out: Outbound<C>[], origin?: C, requestId?: string): void {
    const { codec, transport, room } = this.options;
    let last: RoomEvent | undefined;
    let text = "";
    for (const { to, event } of out) {
      if (event.type === "disconnect") {
        this.disconnect(to, event.code, event.reason);
        continue;
      }
      const log = event.type === "relay" ? this.#logOf(to) : undefined;
      if (event.type === "relay" && log) event.seq = log.seq + 1;
      if (event !== last || log) {
        last = event;
        text = codec.encode(event);
      }
      if (!this.#withinBudget(to, text)) {
        const target = room.registrationOf(to)?.peerId;
        this.#dropNotReading(to);
        const refusal = event.type === "relay" ? room.keep(target ?? "", event.from, event.data, requestId) : undefined;
        if (refusal && origin !== undefined) this.send(origin, refusal);
        continue;
      }
      const sent = transport.send(to, text);
      if (sent && event.type === "relay" && log) {
        this.#remember(log, { seq: ++log.seq, from: event.from, data: event.data, chars: text.length });
        if (log.seq >= log.ceiling) {
          log.ceiling = log.seq + SEQ_BLOCK;
          this.options.onCeiling(to);
        }
      }
      if (!sent && event.type === "relay" && origin !== undefined) {
        const why = "the target peer is disconnecting; the relay was not delivered";
        this.send(origin, roomError("unknown_peer", why, requestId));
      }
    }
  }

  /** The relays last handed to `connection`, oldest first, and forgets them. */
  takeUnacked(connection: C): SentRelay[] {
    const log = this.#sent.get(connection);
    this.#sent.delete(connection);
    return log?.recent ?? [];
  }

  /** Numbering for a connection kept across a wake: it resumes at the ceiling saved with it. */
  restore(connection: C, seqCeiling: number | undefined): void {
    if (seqCeiling) this.#sent.set(connection, { seq: seqCeiling, ceiling: seqCeiling, recent: [], chars: 0 });
  }

  /** The `seq` ceiling to save with the connection. */
  ceilingOf(connection: C): number | undefined {
    return this.#sent.get(connection)?.ceiling;
  }

  #logOf(connection: C): SentLog {
    let log = this.#sent.get(connection);
    if (!log) {
      log = { seq: 0, ceiling: 0, recent: [], chars: 0 };
      this.#sent.set(connection, log);
    }
    return log;
  }

  #remember(log: SentLog, relay: SentRelay): void {
    log.recent.push(relay);
    log.chars += relay.chars;
    while (log.recent.length > MAX_UNACKED_RELAYS || log.chars > MAX_UNACKED_CHARS) {
      log.chars -= log.recent.shift()?.chars ?? 0;
    }
  }

  send(connection: C, error: RoomError): void {
    this.options.transport.send(connection, this.options.codec.encode(error));
  }

  /**
   * Closes a connection the room let go. Its saved state is cleared first: if the client never answers the Close
   * frame, the socket outlives the room's memory, and a wake must not bring its registration back as a ghost.
   */
  disconnect(connection: C, code: number, reason: string): void {
    this.options.transport.save(connection, { room: this.options.roomName() });
    this.options.transport.close(connection, code, reason);
  }

  #withinBudget(connection: C, text: string): boolean {
    const now = this.options.now();
    let budget = this.#budgets.get(connection);
    if (!budget) {
      budget = new OutboundBudget(this.options.limits, now);
      this.#budgets.set(connection, budget);
    }
    return budget.spend(text.length, now);
  }

  /** Sent more than any signaling client reads: closed, and its id held like any dropped peer's. */
  #dropNotReading(connection: C): void {
    this.options.onNotReading(connection);
    this.options.room.leave(connection, "dropped");
    this.disconnect(connection, CLOSE_NOT_READING, "sent more than it reads");
  }
}
