/** An object's messages in and out since it woke: two counters, nothing stored. */
import type { Transport } from "./transport.js";

/** Incoming WebSocket messages bill as Durable Object requests at this many to one. */
export const MESSAGES_PER_BILLED_REQUEST = 20;

export interface TrafficCounts {
  messagesIn: number;
  messagesOut: number;
  /** What `messagesIn` bills as Durable Object requests (incoming WebSocket messages bill 20:1). */
  billedRequests: number;
  awakeSince: string;
}

export class Traffic {
  messagesIn = 0;
  messagesOut = 0;
  readonly #wokeAt: number;

  constructor(now: number) {
    this.#wokeAt = now;
  }

  /** The host's transport as it is, but counting what it hands over. */
  counting<C>(transport: Transport<C>): Transport<C> {
    return {
      ...transport,
      send: (connection, text) => {
        const sent = transport.send(connection, text);
        if (sent) this.messagesOut++;
        return sent;
      },
    };
  }

  counts(): TrafficCounts {
    return {
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      billedRequests: Math.ceil(this.messagesIn / MESSAGES_PER_BILLED_REQUEST),
      awakeSince: new Date(this.#wokeAt).toISOString(),
    };
  }
}
