/** What a room holds and has done since it woke, for the admin route (`GET /rooms/<name>/stats`). */

import type { Transport } from "../connection/transport.js";
import type { Room } from "./room.js";

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

/** Incoming WebSocket messages bill as Durable Object requests at this many to one. */
const MESSAGES_PER_BILLED_REQUEST = 20;

/** A room's messages in and out since it woke: two counters, nothing stored. */
export class Traffic {
  messagesIn = 0;
  messagesOut = 0;
  readonly #wokeAt: number;

  constructor(now: number) {
    this.#wokeAt = now;
  }

  /** The host's transport as it is, but counting what it hands over. */
  counting<C, S>(transport: Transport<C, S>): Transport<C, S> {
    return {
      ...transport,
      send: (connection, text) => {
        const sent = transport.send(connection, text);
        if (sent) this.messagesOut++;
        return sent;
      },
    };
  }

  /** The counts, and the Durable Object requests the incoming messages bill. */
  counts(): Pick<RoomStats, "messagesIn" | "messagesOut" | "billedRequests"> {
    return {
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      billedRequests: Math.ceil(this.messagesIn / MESSAGES_PER_BILLED_REQUEST),
    };
  }

  stats<C>(room: Room<C>, connections: number): RoomStats {
    const reservations = room.reservationStats();
    return {
      peers: room.peerCount,
      connections,
      watchers: room.watcherCount,
      reservations: reservations.count,
      mailboxMessages: reservations.messages,
      mailboxBytes: reservations.bytes,
      ...this.counts(),
      awakeSince: new Date(this.#wokeAt).toISOString(),
    };
  }
}
