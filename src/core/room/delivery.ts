/**
 * Handing a room's events to connections: each broadcast encoded once, each relay numbered and remembered, each
 * connection within its outbound budget, closes carried out with the connection's saved state cleared first.
 */

import type { Limits } from "../config/limits.js";
import { type ConnectionRecord, SEQ_BLOCK, type SentRelay } from "../connection/connection-record.js";
import { OutboundBudget } from "../connection/outbound-budget.js";
import type { Transport } from "../connection/transport.js";
import { CLOSE_NOT_READING } from "../wire/close-codes.js";
import type { Codec } from "./codec.js";
import { type Outbound, type RoomError, type RoomEvent, roomError } from "./events.js";
import type { Room } from "./room.js";

export type { SentRelay } from "../connection/connection-record.js";

export interface DeliveryOptions<C> {
  codec: Codec;
  transport: Transport<C>;
  room: Room<C>;
  limits: Limits;
  now: () => number;
  roomName: () => string;
  recordOf: (connection: C) => ConnectionRecord;
  onNotReading: (connection: C) => void;
  /** Save the connection's state again: its `seq` ceiling moved. */
  onCeiling: (connection: C) => void;
}

export class Delivery<C extends object> {
  constructor(private readonly options: DeliveryOptions<C>) {}

  /**
   * Sends each event. A relay that cannot be handed over is answered to `origin` (echoing `requestId`): kept
   * for its target if the target is dropped for not reading, refused if the target is already closing.
   */
  deliver(out: Outbound<C>[], origin?: C, requestId?: string): void {
    const { codec, transport, room } = this.options;
    let last: RoomEvent | undefined;
    let text: string | undefined = "";
    for (const { to, event } of out) {
      if (event.type === "disconnect") {
        this.disconnect(to, event.code, event.reason);
        continue;
      }
      const record = this.options.recordOf(to);
      if (event.type === "relay") event.seq = record.sent.seq + 1;
      if (event !== last || event.type === "relay") {
        last = event;
        text = codec.encode(event);
      }
      if (text === undefined) continue;
      if (!this.#withinBudget(record, text)) {
        const target = room.registrationOf(to)?.peerId;
        this.#dropNotReading(to);
        const refusal = event.type === "relay" ? room.keep(target ?? "", event.from, event.data, requestId) : undefined;
        if (refusal && origin !== undefined) this.send(origin, refusal);
        continue;
      }
      const sent = transport.send(to, text);
      if (event.type !== "relay") continue;
      if (sent) {
        record.sent.record(event.from, event.data, text.length);
        if (record.sent.seq >= record.sent.ceiling) {
          record.sent.ceiling = record.sent.seq + SEQ_BLOCK;
          this.options.onCeiling(to);
        }
      } else if (origin !== undefined) {
        const why = "the target peer is disconnecting; the relay was not delivered";
        this.send(origin, roomError("unknown_peer", why, requestId));
      }
    }
  }

  send(connection: C, error: RoomError): void {
    const text = this.options.codec.encode(error);
    if (text !== undefined) this.options.transport.send(connection, text);
  }

  /**
   * Closes a connection the room let go. Its saved state is cleared first: if the client never answers the Close
   * frame, the socket outlives the room's memory, and a wake must not bring its registration back as a ghost.
   */
  disconnect(connection: C, code: number, reason: string): void {
    this.options.transport.save(connection, { room: this.options.roomName() });
    this.options.transport.close(connection, code, reason);
  }

  /** The relays last handed to `connection`, oldest first, and forgets them. */
  takeUnacked(connection: C): SentRelay[] {
    return this.options.recordOf(connection).sent.take();
  }

  #withinBudget(record: ConnectionRecord, text: string): boolean {
    const now = this.options.now();
    record.budget ??= new OutboundBudget(this.options.limits, now);
    return record.budget.spend(text.length, now);
  }

  /** Sent more than any signaling client reads: closed, and its id held like any dropped peer's. */
  #dropNotReading(connection: C): void {
    this.options.onNotReading(connection);
    this.options.room.leave(connection, "dropped");
    this.disconnect(connection, CLOSE_NOT_READING, "sent more than it reads");
  }
}
