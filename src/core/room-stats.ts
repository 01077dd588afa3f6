/** What a room holds and has done since it woke, for the admin route (`GET /rooms/<name>/stats`). */
import type { Room } from "./room.js";
import type { Transport } from "./transport.js";

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

/** A room's messages in and out since it woke: two counters, nothing stored. */
export class Traffic {
  messagesIn = 0;
  messagesOut = 0;
  readonly #wokeAt: number;

  constructor(now: number) {
    this.#wokeAt = now;
  }

  /** The host's transport as it is, but counting what it sends. */
  counting<C>(transport: Transport<C>): Transport<C> {
    return {
      ...transport,
      send: (connection, text) => {
        this.messagesOut++;
        return transport.send(connection, text);
      },
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
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      billedRequests: Math.ceil(this.messagesIn / 20),
      awakeSince: new Date(this.#wokeAt).toISOString(),
    };
  }
}
