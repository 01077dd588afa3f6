/**
 * What the pipeline keeps in memory about one connection, in one object, so that handling a message looks the
 * connection up once. Memory only: after a wake it starts afresh from what was saved with the connection.
 */
import { MAX_UNACKED_CHARS, MAX_UNACKED_RELAYS } from "../config/limits.js";
import type { OutboundBudget } from "./outbound-budget.js";
import type { TokenBucket } from "./rate-limit.js";

/** How far a connection's `seq` may run past its saved ceiling: one attachment write per this many relays. */
export const SEQ_BLOCK = 1_000;

/** A relay handed to a connection, which its client may not have received if the connection then dropped. */
export interface SentRelay {
  seq: number;
  from: string;
  data: unknown;
}

export class ConnectionRecord {
  bucket: TokenBucket | undefined;
  budget: OutboundBudget | undefined;
  /** When the connection last sent anything. */
  lastSeen: number;
  /** When `lastSeen` was last saved with the connection. */
  seenSaved: number;
  /** When it connected (or, after a wake, when it was first seen), for the register timeout. */
  openedAt: number;
  /** The relays handed to it, numbered. */
  readonly sent: SentLog;
  /** Where it connected from (the Worker's `CF-Connecting-IP`), for the per-address caps; "" when unknown. */
  address = "";
  /** The only peer id it may register, when its join token named one (`sub`). */
  subject: string | undefined;

  constructor(now: number, seqCeiling = 0) {
    this.lastSeen = now;
    this.seenSaved = now;
    this.openedAt = now;
    this.sent = new SentLog(seqCeiling);
  }
}

/**
 * The numbering of the relays handed to one connection, and the last of them (a ring of `MAX_UNACKED_RELAYS`,
 * at most `MAX_UNACKED_CHARS` of JSON), in parallel arrays so that recording one allocates nothing.
 */
export class SentLog {
  seq: number;
  /** Saved with the connection: after a wake, numbering resumes past it, so `seq` never goes backwards. */
  ceiling: number;
  readonly #from: string[] = [];
  readonly #data: unknown[] = [];
  readonly #chars: number[] = [];
  #start = 0;
  #count = 0;
  #totalChars = 0;

  constructor(seqCeiling: number) {
    this.seq = seqCeiling;
    this.ceiling = seqCeiling;
  }

  /** Numbers and keeps one relay; returns its `seq`. */
  record(from: string, data: unknown, chars: number): number {
    if (this.#count === MAX_UNACKED_RELAYS) this.#evict();
    const slot = (this.#start + this.#count) % MAX_UNACKED_RELAYS;
    this.#from[slot] = from;
    this.#data[slot] = data;
    this.#chars[slot] = chars;
    this.#count++;
    this.#totalChars += chars;
    while (this.#totalChars > MAX_UNACKED_CHARS && this.#count > 1) this.#evict();
    return ++this.seq;
  }

  /** The relays kept, oldest first; the ring is then empty. */
  take(): SentRelay[] {
    const out: SentRelay[] = [];
    const firstSeq = this.seq - this.#count + 1;
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#start + i) % MAX_UNACKED_RELAYS;
      out.push({ seq: firstSeq + i, from: this.#from[slot] as string, data: this.#data[slot] });
      this.#data[slot] = undefined;
    }
    this.#start = this.#count = this.#totalChars = 0;
    return out;
  }

  #evict(): void {
    this.#totalChars -= this.#chars[this.#start] ?? 0;
    this.#data[this.#start] = undefined;
    this.#start = (this.#start + 1) % MAX_UNACKED_RELAYS;
    this.#count--;
  }
}
