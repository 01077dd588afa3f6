/**
 * The relays this client numbered and the server has not acknowledged yet: sent on a connection that may have died
 * with them in flight, or waiting for a connection. Sent again, in order, once the client has registered again: the
 * server drops the ones it already has (it says up to which `seq` in `registered`), so none arrives twice. Bounded,
 * so a long outage cannot grow it.
 */
import { SignalingError } from "./signaling-error.js";

export interface NumberedRelay {
  type: "relay";
  to: string;
  seq: number;
  request_id: string;
  data: unknown;
}

/** The request id of relay number `seq`, from which an error about it leads back to it. */
export function relayRequestId(seq: number): string {
  return `relay-${seq}`;
}

export class UnackedRelays {
  /** By `seq`, in the order they were numbered. */
  readonly #relays = new Map<number, NumberedRelay>();
  #next = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#relays.size;
  }

  /** Numbers a relay and keeps it until the server acknowledges it (or tells of it). */
  add(to: string, data: unknown): NumberedRelay {
    if (this.#relays.size >= this.max) {
      throw new SignalingError(
        "queue_full",
        `${this.#relays.size} relays are already waiting for the server to take them`,
      );
    }
    const seq = ++this.#next;
    // In the shape the server reads without parsing the whole frame: type, to, seq, request_id, then data.
    const relay: NumberedRelay = { type: "relay", to, seq, request_id: relayRequestId(seq), data };
    this.#relays.set(seq, relay);
    return relay;
  }

  /** The server has every relay up to `seq`. */
  acked(seq: number): void {
    for (const key of this.#relays.keys()) {
      if (key > seq) break;
      this.#relays.delete(key);
    }
  }

  /** The server answered the relay with this request id (an error): its sender was told, nothing to send again. */
  told(requestId: string): void {
    const match = /^relay-(\d+)$/.exec(requestId);
    if (match) this.#relays.delete(Number(match[1]));
  }

  /** What is waiting, oldest first. */
  waiting(): NumberedRelay[] {
    return [...this.#relays.values()];
  }

  clear(): void {
    this.#relays.clear();
  }
}
