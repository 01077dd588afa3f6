/**
 * Ids held for peers whose connection dropped, and the mailbox of relays kept for each until it resumes. This is
 * the only state a room writes per peer, and only for peers that dropped: a session that ends cleanly writes
 * nothing. Kept in a store that survives hibernation and eviction (SQLite on Cloudflare); the maps here are a cache
 * of it, loaded on first use after a wake.
 */
import type { Limits } from "../config/limits.js";

export interface Reservation {
  peerId: string;
  token: string;
  presence: boolean;
  /** When the reservation ends unless its peer resumes (ms since the epoch). */
  until: number;
  /** The highest of the peer's own relay numbers the room had taken in (see room.ts, `Registration.acked`). */
  acked: number;
  /** The `seq` from which the relays kept for it include every relay its last connection was handed. */
  replayFrom: number;
  /** The peer's `meta`, still shown in peer lists while its id is held. */
  meta?: unknown;
}

/**
 * A connected peer's registration, written where the host persists registrations (`PERSIST_REGISTRATIONS`), so
 * that a crash, a kill or a deploy, which end connections without a word to the room, still leave its id held for
 * it: what the next start finds claimed with no connection becomes a reservation.
 */
export interface Claim {
  peerId: string;
  token: string;
  presence: boolean;
  /** `Registration.acked` when the claim was written: after a crash, the room may have taken in more. */
  acked: number;
  meta?: unknown;
}

/**
 * One relay kept for a reserved peer: its sender and its `data` as JSON text. `seq` is set for a relay that was
 * already handed to the peer's dropped connection (it may or may not have arrived): the resuming client's
 * `last_seq` says which of those it has. An answer to the peer's own relays (an error) is kept the same way, with
 * `from` "" and `data` the error event's JSON (see room.ts, `HandedRelay`).
 */
export interface KeptMessage {
  from: string;
  data: string;
  seq?: number;
}

/** Synchronous, like the Durable Object's SQLite API, so that nothing in a handler awaits. */
export interface ReservationStore {
  /** Every reservation with what its mailbox holds, in one read. */
  load(): Array<Reservation & { count: number; bytes: number }>;
  reserve(reservation: Reservation): void;
  keep(to: string, message: KeptMessage, bytes: number): void;
  /** The messages kept for `peerId` in the order they were kept; the reservation and its messages are deleted. */
  release(peerId: string): KeptMessage[];
  /** Writes (or rewrites) a connected peer's claim; a reservation for the id is replaced by it. */
  claim(claim: Claim): void;
  /** The peer left for good: its claim goes. */
  unclaim(peerId: string): void;
  /** Every claim in the store (not reservations): after a start that kept no connection, what a crash left. */
  claims(): Claim[];
}

export type ReservationLimits = Pick<Limits, "mailboxMaxMessages" | "mailboxMaxBytes" | "roomMailboxMaxBytes">;

const utf8 = new TextEncoder();

interface Entry extends Reservation {
  count: number;
  bytes: number;
}

export class Reservations {
  #entries: Map<string, Entry> | undefined;
  #roomBytes = 0;
  /** Grows with every reserve and release, so that a host can tell when the next deadline may have moved. */
  changes = 0;

  constructor(
    private readonly store: ReservationStore,
    private readonly limits: ReservationLimits,
    /** Whether connected peers' registrations are written too (see `Claim`): two rows per session. */
    private readonly persistClaims = false,
  ) {}

  get size(): number {
    return this.#map().size;
  }

  peerIds(): IterableIterator<string> {
    return this.#map().keys();
  }

  get(peerId: string): Reservation | undefined {
    return this.#map().get(peerId);
  }

  /** How many relays all mailboxes hold. */
  get keptMessages(): number {
    let messages = 0;
    for (const entry of this.#map().values()) messages += entry.count;
    return messages;
  }

  /** What all mailboxes hold, for stats and tests. */
  get keptBytes(): number {
    this.#map();
    return this.#roomBytes;
  }

  reserve(reservation: Reservation): void {
    this.changes++;
    this.store.reserve(reservation);
    this.#map().set(reservation.peerId, { ...reservation, count: 0, bytes: 0 });
  }

  /**
   * Keeps a relay (its data's JSON text) for reserved peer `to`; says why not when a bound would be passed. A relay that was already
   * sent to the peer's last connection (`seq`) is kept whatever the bounds: its sender was not refused, and the
   * relays handed to one connection are few (see sent-log.ts).
   */
  keep(to: string, from: string, text: string, seq?: number): { kept: true } | { kept: false; why: string } {
    const entry = this.#map().get(to);
    if (!entry) return { kept: false, why: `no reservation for "${to}"` };
    const bytes = utf8.encode(text).length;
    const { mailboxMaxMessages, mailboxMaxBytes, roomMailboxMaxBytes } = this.limits;
    if (seq !== undefined) {
      this.#add(entry, { from, data: text, seq }, bytes);
      return { kept: true };
    }
    if (entry.count + 1 > mailboxMaxMessages) {
      return { kept: false, why: `the mailbox of "${to}" holds its limit of ${mailboxMaxMessages} messages` };
    }
    if (entry.bytes + bytes > mailboxMaxBytes) {
      return {
        kept: false,
        why: `the mailbox of "${to}" holds ${entry.bytes} bytes; ${bytes} more would pass its limit of ${mailboxMaxBytes}`,
      };
    }
    if (this.#roomBytes + bytes > roomMailboxMaxBytes) {
      return { kept: false, why: `this room's mailboxes hold their limit of ${roomMailboxMaxBytes} bytes` };
    }
    this.#add(entry, { from, data: text }, bytes);
    return { kept: true };
  }

  /**
   * Keeps an answer for reserved peer `from` about its own relays (an `undeliverable`), whatever the bounds: it is
   * small, one per peer its relays went to, and without it the sender would never be told.
   */
  keepAnswer(to: string, errorJson: string): void {
    const entry = this.#map().get(to);
    if (entry) this.#add(entry, { from: "", data: errorJson }, utf8.encode(errorJson).length);
  }

  #add(entry: Entry, message: KeptMessage, bytes: number): void {
    this.store.keep(entry.peerId, message, bytes);
    entry.count++;
    entry.bytes += bytes;
    this.#roomBytes += bytes;
  }

  /** Ends `peerId`'s reservation, handing back what was kept for it, in order. */
  release(peerId: string): KeptMessage[] {
    const entry = this.#map().get(peerId);
    if (!entry) return [];
    this.changes++;
    this.#entries?.delete(peerId);
    this.#roomBytes -= entry.bytes;
    return this.store.release(peerId);
  }

  /** A peer registered (or changed its presence): with claims persisted, its id survives a crash. */
  claim(claim: Claim): void {
    if (this.persistClaims) this.store.claim(claim);
  }

  /** A peer left cleanly: nothing is held for it. */
  unclaim(peerId: string): void {
    if (this.persistClaims) this.store.unclaim(peerId);
  }

  /**
   * After a start that kept no connection: every id still claimed lost its connection without a word (a crash, a
   * kill, a deploy) and is held from now as after any drop, until `until`. Nothing its connection was handed is
   * known any more, so a resume cannot be whole (`replayFrom` past any `last_seq`). Returns the ids.
   */
  adoptOrphans(until: number): string[] {
    if (!this.persistClaims) return [];
    const map = this.#map();
    const adopted: string[] = [];
    for (const { peerId, token, presence, acked, meta } of this.store.claims()) {
      if (map.has(peerId)) continue;
      this.reserve({ peerId, token, presence, until, acked, replayFrom: Number.MAX_SAFE_INTEGER, meta });
      adopted.push(peerId);
    }
    return adopted;
  }

  /** The reservations whose time is up at `now`. */
  expired(now: number): Reservation[] {
    const out: Reservation[] = [];
    for (const entry of this.#map().values()) if (entry.until <= now) out.push(entry);
    return out;
  }

  /** When the earliest reservation ends, or undefined when there is none. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const entry of this.#map().values()) if (next === undefined || entry.until < next) next = entry.until;
    return next;
  }

  #map(): Map<string, Entry> {
    if (!this.#entries) {
      this.#entries = new Map();
      for (const entry of this.store.load()) {
        this.#entries.set(entry.peerId, { ...entry });
        this.#roomBytes += entry.bytes;
      }
    }
    return this.#entries;
  }
}

/** A store in memory, for tests and for hosts without durable storage. */
export class MemoryReservationStore implements ReservationStore {
  readonly reservations = new Map<string, Reservation>();
  /** Claims of connected peers, by id. */
  readonly held = new Map<string, Claim>();
  readonly kept = new Map<string, Array<KeptMessage & { bytes: number }>>();
  /** Every write, so tests can check that a clean session writes none. */
  writes = 0;

  load() {
    return [...this.reservations.values()].map((r) => {
      const kept = this.kept.get(r.peerId) ?? [];
      return { ...r, count: kept.length, bytes: kept.reduce((sum, m) => sum + m.bytes, 0) };
    });
  }

  reserve(reservation: Reservation): void {
    this.writes++;
    this.held.delete(reservation.peerId);
    this.reservations.set(reservation.peerId, { ...reservation });
  }

  claim(claim: Claim): void {
    this.writes++;
    this.reservations.delete(claim.peerId);
    this.held.set(claim.peerId, { ...claim });
  }

  unclaim(peerId: string): void {
    if (this.held.delete(peerId)) this.writes++;
  }

  claims(): Claim[] {
    return [...this.held.values()].map((c) => ({ ...c }));
  }

  keep(to: string, message: KeptMessage, bytes: number): void {
    this.writes++;
    const list = this.kept.get(to) ?? [];
    list.push({ ...message, bytes });
    this.kept.set(to, list);
  }

  release(peerId: string): KeptMessage[] {
    this.writes++;
    this.reservations.delete(peerId);
    const kept = this.kept.get(peerId) ?? [];
    this.kept.delete(peerId);
    return kept.map(({ bytes: _bytes, ...message }) => message);
  }
}
