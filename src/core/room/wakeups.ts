/**
 * When a room asks its host to wake it: for the earliest reservation to run out, and, while presence watchers wait
 * for a `peer_left` that nothing else would notice, for a sweep of silent connections at most once per idle
 * timeout. Each ask costs a storage write on Cloudflare (`setAlarm`), so an unchanged one is not asked again.
 */
export class Wakeups {
  #scheduled: number | undefined;
  #lastSweep: number;
  /** A fresh instance (after hibernation) may sweep at its first wake-up: its alarm was set by an earlier one. */
  #swept = false;

  constructor(
    private readonly schedule: (at: number | undefined) => void,
    private readonly now: () => number,
    private readonly idleTimeoutMs: number,
  ) {
    this.#lastSweep = now();
  }

  /** The asked-for wake-up came; returns whether a sweep is due now (and counts it as done). */
  woke(watchers: number): boolean {
    this.#scheduled = undefined;
    if (watchers === 0 || (this.#swept && this.now() - this.#lastSweep < this.idleTimeoutMs)) return false;
    this.#lastSweep = this.now();
    this.#swept = true;
    return true;
  }

  /** Asks for the next wake-up: the room's own `deadline`, or the next sweep while there are `watchers`. */
  update(deadline: number | undefined, watchers: number): void {
    let at = deadline;
    if (watchers > 0) {
      const sweepAt = this.#lastSweep + this.idleTimeoutMs;
      if (at === undefined || sweepAt < at) at = sweepAt;
    }
    if (at === this.#scheduled) return;
    this.#scheduled = at;
    this.schedule(at);
  }
}
