/**
 * What the joins of one address may cost a room's presence watchers: each join sends `peer_joined` to every
 * watcher, and its leave `peer_left`, so a client joining and leaving in a loop (from new connections, so the
 * per-connection rate never saw it) flooded 500 watchers with 35,000 events a second. One token bucket per address,
 * in events: a join is charged for both of its events up front (a leave cannot be refused), and refused when the
 * bucket cannot pay. Memory only, like the message rate.
 */
import type { Limits } from "./limits.js";

/** Past this many addresses, the ones whose buckets are full again are forgotten. */
const MAX_TRACKED = 4_096;

export class PresenceBudget {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limits: Pick<Limits, "presenceFanoutPerSecond" | "presenceFanoutBurst">) {}

  /** The cost of a join seen by `watchers` watchers: its event and its leave's, to each; never more than a burst. */
  costOf(watchers: number): number {
    return Math.min(2 * watchers, this.limits.presenceFanoutBurst);
  }

  /** Takes `cost` from `address`'s bucket; false (nothing taken) when it holds less. */
  take(address: string, cost: number, now: number): boolean {
    if (cost <= 0) return true;
    const { presenceFanoutPerSecond: rate, presenceFanoutBurst: burst } = this.limits;
    const bucket = this.#buckets.get(address) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * rate) / 1000);
    bucket.at = now;
    if (bucket.tokens < cost) {
      this.#buckets.set(address, bucket);
      return false;
    }
    bucket.tokens -= cost;
    this.#buckets.set(address, bucket);
    if (this.#buckets.size > MAX_TRACKED) this.#forgetFull(now);
    return true;
  }

  /** Seconds until `address` can pay `cost`, for the refusal's text. */
  waitFor(address: string, cost: number): number {
    const tokens = this.#buckets.get(address)?.tokens ?? this.limits.presenceFanoutBurst;
    return Math.max(1, Math.ceil((cost - tokens) / this.limits.presenceFanoutPerSecond));
  }

  #forgetFull(now: number): void {
    const { presenceFanoutPerSecond: rate, presenceFanoutBurst: burst } = this.limits;
    for (const [address, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) * rate) / 1000 >= burst) this.#buckets.delete(address);
    }
  }
}
