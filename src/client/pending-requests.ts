/**
 * Requests waiting for their answer, matched by `request_id`. Each remembers the socket generation it was last
 * sent on, so that after a reconnect the ones whose answer died with the old socket are sent again.
 */
import type { ServerMessage } from "../core/wire/protocol.js";
import { SignalingError } from "./signaling-error.js";

export interface Request {
  type: string;
  request_id: string;
}

interface Entry<R extends Request> {
  message: R;
  resolve(message: ServerMessage): void;
  reject(error: SignalingError): void;
  timer: ReturnType<typeof setTimeout>;
  sentOn: number;
}

export class PendingRequests<R extends Request> {
  readonly #entries = new Map<string, Entry<R>>();

  constructor(private readonly timeoutMs: number) {}

  /** Tracks `message` until answered; `send` is called now and after each reconnect that lost the answer. */
  add(message: R): { promise: Promise<ServerMessage>; entry: Entry<R> } {
    let entry!: Entry<R>;
    const promise = new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#entries.delete(message.request_id);
        reject(new SignalingError("timeout", `no answer to ${message.type} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      entry = { message, resolve, reject, timer, sentOn: -1 };
    });
    this.#entries.set(message.request_id, entry);
    return { promise, entry };
  }

  /** The requests not yet sent on socket `generation`. */
  unsentOn(generation: number): Entry<R>[] {
    return [...this.#entries.values()].filter((entry) => entry.sentOn !== generation);
  }

  /** Resolves the request `requestId` answered; false if no such request waits. */
  resolve(requestId: string, answer: ServerMessage): boolean {
    const entry = this.#take(requestId);
    entry?.resolve(answer);
    return entry !== undefined;
  }

  /** Rejects the request `requestId` with the server's error; false if no such request waits. */
  reject(requestId: string, error: SignalingError): boolean {
    const entry = this.#take(requestId);
    entry?.reject(error);
    return entry !== undefined;
  }

  rejectAll(error: SignalingError): void {
    for (const requestId of [...this.#entries.keys()]) this.reject(requestId, error);
  }

  #take(requestId: string): Entry<R> | undefined {
    const entry = this.#entries.get(requestId);
    if (!entry) return undefined;
    this.#entries.delete(requestId);
    clearTimeout(entry.timer);
    return entry;
  }
}
