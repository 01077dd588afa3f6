/**
 * Gathered ICE candidates, held for a moment so that those a browser gathers together travel as one relay: the
 * signaling server bills every incoming message, and most of a call setup's were single trickled candidates.
 */

/** The longest a gathered candidate waits for others to share its relay, unless told otherwise. */
export const CANDIDATE_BATCH_MS = 20;
/**
 * A pause in gathering this long ends a batch early. A browser finds its host candidates within a millisecond of
 * each other, and its server-reflexive and relay candidates a round trip to STUN or TURN later: the pause
 * separates the bursts about as well as the whole window would, and holds the first burst for 2 ms, not 20
 * (`npm run bench:calls`: 4 ms put 2-14% on the median setup of a real call on loopback; 2 ms, none measurable).
 */
const GATHERING_PAUSE_MS = 2;
/** The most candidates in one relay: a few KiB, far under any frame limit. */
const MAX_CANDIDATES_PER_RELAY = 32;

export class CandidateBatch {
  #held: RTCIceCandidateInit[] = [];
  /** When the first held candidate was gathered (performance.now()). */
  #started = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param maxWaitMs the longest a candidate is held; 0 sends each at once.
   * @param send called with the held candidates, in the order they were gathered.
   */
  constructor(
    private readonly maxWaitMs: number,
    private readonly send: (candidates: RTCIceCandidateInit[]) => void,
  ) {}

  /**
   * Holds a gathered candidate until gathering pauses, and at most `maxWaitMs` after the first held one; `null`
   * (gathering is complete) sends what is held at once.
   */
  add(candidate: RTCIceCandidateInit | null): void {
    if (candidate) this.#held.push(candidate);
    if (!candidate || this.maxWaitMs === 0 || this.#held.length >= MAX_CANDIDATES_PER_RELAY) {
      this.flush();
      return;
    }
    const now = performance.now();
    if (this.#held.length === 1) this.#started = now;
    clearTimeout(this.#timer);
    const wait = Math.min(GATHERING_PAUSE_MS, this.#started + this.maxWaitMs - now);
    this.#timer = setTimeout(() => this.flush(), Math.max(0, wait));
  }

  /** Sends what is held now (before a new description, which must come after its predecessor's candidates). */
  flush(): void {
    const held = this.#held;
    this.drop();
    if (held.length > 0) this.send(held);
  }

  /** Forgets what is held, sending nothing. */
  drop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#held = [];
  }
}
