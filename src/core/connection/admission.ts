/**
 * Which connections an object admits: at most `maxConnectionsPerIp` from one address (when set), and at most
 * `maxPeersPerRoom`, counted in a cache that is recounted from the host only when it says the object is full (so a
 * missed close can never keep it full); and, when it is full, the connections that never registered (or subscribed,
 * or announced) within the register timeout make way: one client opening thousands of sockets locked a room.
 * Checked only then, so that it costs nothing (no alarm, no storage) the rest of the time. When each connection
 * opened and where from come from its attachment after a wake, so neither clock nor count starts again.
 */

import type { Limits } from "../config/limits.js";
import { CLOSE_REGISTER_TIMEOUT, CLOSE_TRY_AGAIN_LATER } from "../wire/close-codes.js";

export interface AdmissionOptions<C> {
  limits: Pick<Limits, "maxPeersPerRoom" | "registerTimeoutMs" | "maxConnectionsPerIp">;
  countConnections: () => number;
  openedAt: (connection: C) => number;
  now: () => number;
  close: (connection: C, code: number, reason: string) => void;
}

export type AdmissionVerdict = "ok" | "room_full" | "too_many_connections";

/**
 * Why a connection is not admitted, and how the host refuses it. A full room is told in a frame (in the protocol's
 * own words) on a socket accepted apart and closed at once: browsers hide the HTTP status of a refused upgrade. An
 * address over its cap gets a plain HTTP 429: its client is most likely a script that reads statuses.
 */
export type Refusal =
  | { kind: "frame"; frame: string; code: number; reason: string }
  | { kind: "http"; status: number; code: string; error: string };

export class Admission<C> {
  #connections = 0;
  /** Connections not registered yet, oldest first (once `#sorted`). */
  #unregistered = new Set<C>();
  /** False after a wake brought connections back in whatever order the host keeps them. */
  #sorted = true;
  /** With a per-address cap: each connection's address, and how many each address holds. */
  readonly #addressOf = new Map<C, string>();
  readonly #perAddress = new Map<string, number>();
  /** Connections already counted out, so that a close reported twice (closed here, then by the host) counts once. */
  readonly #gone = new WeakSet<object>();

  constructor(private readonly options: AdmissionOptions<C>) {}

  /** A connection kept across a wake. */
  restore(connection: C, registered: boolean, address = ""): void {
    this.#connections++;
    if (!registered) {
      this.#unregistered.add(connection);
      this.#sorted = false;
    }
    this.#count(connection, address);
  }

  /**
   * Whether one more connection from `address` fits (counting it if so), or how to refuse it; `sayFull` words the
   * full room's refusal in the protocol's frame.
   */
  admit(address: string, sayFull: (text: string) => string | undefined): Refusal | undefined {
    const verdict = this.fits(address);
    if (verdict === "ok") return undefined;
    const { maxConnectionsPerIp: cap, maxPeersPerRoom: max } = this.options.limits;
    if (verdict === "too_many_connections") {
      return { kind: "http", status: 429, code: verdict, error: `this address holds ${cap} connections here already` };
    }
    const frame = sayFull(`full: ${max} of ${max} connections`) ?? "";
    return { kind: "frame", frame, code: CLOSE_TRY_AGAIN_LATER, reason: "room full" };
  }

  /** Whether one more connection from `address` fits, counting it in the room if so. */
  fits(address = ""): AdmissionVerdict {
    const cap = this.options.limits.maxConnectionsPerIp;
    if (cap > 0 && address !== "" && (this.#perAddress.get(address) ?? 0) >= cap) return "too_many_connections";
    const max = this.options.limits.maxPeersPerRoom;
    if (this.#connections >= max) this.#connections = this.options.countConnections();
    if (this.#connections >= max) this.#closeLateRegistrations();
    if (this.#connections >= max) return "room_full";
    this.#connections++;
    return "ok";
  }

  opened(connection: C, address = ""): void {
    this.#unregistered.add(connection);
    this.#count(connection, address);
  }

  registered(connection: C): void {
    this.#unregistered.delete(connection);
  }

  /** How many connections the room holds, as counted here. */
  get count(): number {
    return this.#connections;
  }

  closed(connection: C): void {
    if (this.#gone.has(connection as object)) return;
    this.#gone.add(connection as object);
    this.#connections = Math.max(0, this.#connections - 1);
    this.#unregistered.delete(connection);
    const address = this.#addressOf.get(connection);
    if (address === undefined) return;
    this.#addressOf.delete(connection);
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }

  #count(connection: C, address: string): void {
    if (this.options.limits.maxConnectionsPerIp === 0 || address === "" || this.#addressOf.has(connection)) return;
    this.#addressOf.set(connection, address);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
  }

  /**
   * Closes the connections not registered within the register timeout, oldest first, stopping at the first that is
   * not late. After a wake they are first put in the order they opened (their opening times come from their
   * attachments), once.
   */
  #closeLateRegistrations(): void {
    const { registerTimeoutMs } = this.options.limits;
    const now = this.options.now();
    if (!this.#sorted) {
      const openedAt = (c: C) => this.options.openedAt(c);
      this.#unregistered = new Set([...this.#unregistered].sort((a, b) => openedAt(a) - openedAt(b)));
      this.#sorted = true;
    }
    const late: C[] = [];
    for (const connection of this.#unregistered) {
      if (now - this.options.openedAt(connection) <= registerTimeoutMs) break;
      late.push(connection);
    }
    for (const connection of late) {
      this.closed(connection);
      this.options.close(connection, CLOSE_REGISTER_TIMEOUT, `not registered within ${registerTimeoutMs / 1000} s`);
    }
  }
}
