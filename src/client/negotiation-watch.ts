/**
 * Watches one session's negotiation, so that a lost offer, answer or candidate batch cannot leave a call waiting
 * for ever: a negotiation that has not connected within a bound is restarted, and again after twice as long (up to
 * a ceiling), up to a number of times; then the watch gives up and says so. Connecting resets it.
 */

/** How long a negotiation may take to connect before it is restarted, at first, and at the most. */
export const HEAL_AFTER_MS = 10_000;
export const HEAL_MAX_MS = 60_000;
/** Restarts tried before giving up. */
export const HEAL_ATTEMPTS = 5;
/** A signal that found nobody (the remote peer not in the room yet) is tried again this soon, doubling each time. */
export const ABSENT_RETRY_MS = 1_000;

/** A session's own failure, with a code to match on: `gave_up` when its restarts did not connect. */
export class PeerSessionError extends Error {
  override name = "PeerSessionError";
  constructor(
    readonly code: "gave_up",
    message: string,
  ) {
    super(message);
  }
}

export class NegotiationWatch {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempts = 0;
  #delay: number;
  #stopped = false;
  /** Gave up: a fresh chance (the remote peer joining) starts it again. */
  #gaveUp = false;
  #absentDelay = ABSENT_RETRY_MS;

  constructor(
    private readonly firstMs: number,
    private readonly maxAttempts: number,
    private readonly restart: (why: string) => void,
    private readonly giveUp: (error: PeerSessionError) => void,
  ) {
    this.#delay = firstMs;
  }

  /** A negotiation is under way: it must connect within the current bound, or be restarted. */
  expect(): void {
    if (this.firstMs <= 0 || this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#fire(`not connected within ${Math.round(this.#delay / 1000)} s`), this.#delay);
  }

  /** Connected: the bound and the count start again. */
  connected(): void {
    this.#clear();
    this.#attempts = 0;
    this.#delay = this.firstMs;
    this.#absentDelay = ABSENT_RETRY_MS;
  }

  /**
   * A signal found nobody to take it: the remote peer is not in the room (yet). Tried again soon (1 s, then twice
   * as long each time), not at the full bound, as each try costs one relay; the count of restarts still applies.
   */
  undelivered(): void {
    if (this.firstMs <= 0 || this.#stopped) return;
    const delay = Math.min(this.#absentDelay, this.#delay);
    this.#absentDelay *= 2;
    this.#clear();
    this.#timer = setTimeout(() => this.#fire("the remote peer was not in the room"), delay);
  }

  /**
   * Restart now, not when the bound runs out: the connection failed, the remote peer came (back), or the signaling
   * server may have lost what was on its way. `fresh`: a new chance, the count starting again.
   */
  now(why: string, fresh = false): void {
    if (this.firstMs <= 0) return;
    if (fresh && this.#gaveUp) {
      this.#gaveUp = false;
      this.#stopped = false;
    }
    if (this.#stopped) return;
    if (fresh) this.connected();
    this.#clear();
    this.#fire(why);
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
  }

  #fire(why: string): void {
    this.#timer = undefined;
    if (++this.#attempts > this.maxAttempts) {
      this.stop();
      this.#gaveUp = true;
      this.giveUp(new PeerSessionError("gave_up", `gave up after ${this.maxAttempts} restarts: ${why}`));
      return;
    }
    this.restart(why);
    this.#delay = Math.min(this.#delay * 2, HEAL_MAX_MS);
    this.expect();
  }

  #clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
