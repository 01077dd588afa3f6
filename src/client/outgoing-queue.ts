/** Messages sent while the client is not registered, flushed once it is; bounded, so a long outage cannot grow it. */
import { SignalingError } from "./signaling-error.js";

export class OutgoingQueue<M> {
  readonly #items: M[] = [];

  constructor(private readonly max: number) {}

  push(message: M): void {
    if (this.#items.length >= this.max) {
      throw new SignalingError("queue_full", `${this.#items.length} messages are already waiting for the connection`);
    }
    this.#items.push(message);
  }

  /** Everything waiting, oldest first; the queue is then empty. */
  drain(): M[] {
    return this.#items.splice(0);
  }
}
