/**
 * Which connections a room admits: at most `maxPeersPerRoom`, counted in a cache that is recounted from the host
 * only when it says the room is full (so a missed close can never keep a room full); and, when it is full, the
 * sockets that never registered within the register timeout make way (one client opening thousands of them
 * locked a room). Checked only then, so that it costs nothing (no alarm, no storage) the rest of the time.
 */
import { CLOSE_REGISTER_TIMEOUT } from "./close-codes.js";
import type { Limits } from "./limits.js";

export interface AdmissionOptions<C> {
  limits: Pick<Limits, "maxPeersPerRoom" | "registerTimeoutMs">;
  countConnections: () => number;
  openedAt: (connection: C) => number;
  now: () => number;
  close: (connection: C, code: number, reason: string) => void;
}

export class Admission<C> {
  #connections = 0;
  /** Connections not registered yet, oldest first. */
  readonly #unregistered = new Set<C>();

  constructor(private readonly options: AdmissionOptions<C>) {}

  /** A connection kept across a wake. */
  restore(connection: C, registered: boolean): void {
    this.#connections++;
    if (!registered) this.#unregistered.add(connection);
  }

  /** Whether one more connection fits, counting it if so. */
  fits(): boolean {
    const max = this.options.limits.maxPeersPerRoom;
    if (this.#connections >= max) this.#connections = this.options.countConnections();
    if (this.#connections >= max) this.#closeLateRegistrations();
    if (this.#connections >= max) return false;
    this.#connections++;
    return true;
  }

  opened(connection: C): void {
    this.#unregistered.add(connection);
  }

  registered(connection: C): void {
    this.#unregistered.delete(connection);
  }

  closed(connection: C): void {
    this.#connections = Math.max(0, this.#connections - 1);
    this.#unregistered.delete(connection);
  }

  #closeLateRegistrations(): void {
    const { registerTimeoutMs } = this.options.limits;
    const now = this.options.now();
    for (const connection of this.#unregistered) {
      if (now - this.options.openedAt(connection) <= registerTimeoutMs) break;
      this.#unregistered.delete(connection);
      this.#connections = Math.max(0, this.#connections - 1);
      this.options.close(connection, CLOSE_REGISTER_TIMEOUT, `not registered within ${registerTimeoutMs / 1000} s`);
    }
  }
}
