/**
 * The numbering of the relays handed to one connection, and the last of them: a relay handed over just before the
 * connection dropped may never have arrived, so these go to the peer's mailbox after a drop and are replayed past
 * the `last_seq` its client reports when it resumes. A ring of `MAX_UNACKED_RELAYS`, at most `MAX_UNACKED_CHARS` of
 * JSON, in parallel arrays so that recording one allocates nothing.
 */
import { MAX_UNACKED_CHARS, MAX_UNACKED_RELAYS } from "../config/limits.js";
import type { HandedRelay } from "./room.js";

/** How far a connection's `seq` may run past its saved ceiling: one attachment write per this many relays. */
export const SEQ_BLOCK = 1_000;

export class SentLog {
  seq: number;
  /** Saved with the connection: after a wake, numbering resumes past it, so `seq` never goes backwards. */
  ceiling: number;
  /**
   * Relays were handed over before this log was made (it was rebuilt after a wake, and the ring it had is gone):
   * nothing before this log's first relay can be replayed.
   */
  readonly lost: boolean;
  /** Whether the connection's saved state says it was ever handed a relay (so that a wake knows `lost`). */
  handedSaved: boolean;
  readonly #from: string[] = [];
  readonly #data: string[] = [];
  #start = 0;
  #count = 0;
  #totalChars = 0;

  readonly #restartedFrom: number;

  constructor(seqCeiling = 0, handedBefore = false) {
    this.seq = seqCeiling;
    this.ceiling = seqCeiling;
    this.lost = handedBefore;
    this.handedSaved = handedBefore;
    this.#restartedFrom = seqCeiling;
  }

  /** Numbers and keeps one relay (its data's JSON text); true when `seq` reached the ceiling and it moved. */
  record(from: string, data: string): boolean {
    if (this.#count === MAX_UNACKED_RELAYS) this.#evict();
    const slot = (this.#start + this.#count) % MAX_UNACKED_RELAYS;
    this.#from[slot] = from;
    this.#data[slot] = data;
    this.#count++;
    this.#totalChars += data.length;
    while (this.#totalChars > MAX_UNACKED_CHARS && this.#count > 1) this.#evict();
    if (++this.seq < this.ceiling) return false;
    this.ceiling = this.seq + SEQ_BLOCK;
    return true;
  }

  /** Reserves the numbering ahead, so that the first relays do not each cost a save; the ceiling to save. */
  reserve(): number {
    if (this.ceiling <= this.seq) this.ceiling = this.seq + SEQ_BLOCK;
    return this.ceiling;
  }

  /**
   * The `seq` from which the ring holds every relay handed: its oldest, or the next to come when it holds none; after
   * a wake that lost the ring, nothing from before it.
   */
  replayFrom(): number {
    const oldest = this.seq - this.#count + 1;
    // What was handed before the wake was numbered up to the ceiling it restarted from: none of that is here.
    return this.lost ? Math.max(oldest, this.#restartedFrom + 1) : oldest;
  }

  /** The relays kept, oldest first. */
  relays(): HandedRelay[] {
    const out: HandedRelay[] = [];
    const firstSeq = this.seq - this.#count + 1;
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#start + i) % MAX_UNACKED_RELAYS;
      out.push({ seq: firstSeq + i, from: this.#from[slot] as string, data: this.#data[slot] as string });
    }
    return out;
  }

  #evict(): void {
    this.#totalChars -= this.#data[this.#start]?.length ?? 0;
    this.#data[this.#start] = "";
    this.#start = (this.#start + 1) % MAX_UNACKED_RELAYS;
    this.#count--;
  }
}
