/**
 * What one address's comings and goings may cost a room's presence watchers: each join sends `peer_joined` to
 * every watcher and each leave `peer_left`, so a client joining and leaving in a loop (from new connections, which
 * the per-connection rate never sees) flooded 500 watchers with 35,000 events a second. One token bucket per
 * address, in events. A leave is charged for its event and its join's (it cannot be refused); a join is refused
 * while the bucket could not pay for one more such cycle. A crowd that joins and stays is charged nothing, so many
 * people behind one address (an office, a campus, a test run from 127.0.0.1) join as fast as ever. Memory only,
 * like the message rate.
 */
import type { Limits } from "../config/limits.js";

/** Past this many addresses, the ones whose buckets are full again are forgotten. */
const MAX_TRACKED = 4_096;

export class PresenceBudget {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limits: Pick<Limits, "presenceFanoutPerSecond" | "presenceFanoutBurst">) {}

  /** The events of one join and its leave seen by `watchers` watchers; never more than a burst. */
  cycleCost(watchers: number): number {
    return Math.min(2 * watchers, this.limits.presenceFanoutBurst);
  }

  /** Whether `address` could pay `cost` now. */
  allows(address: string, cost: number, now: number): boolean {
    return cost <= 0 || this.#refill(address, now) >= cost;
  }

  /** Takes `cost` from `address`'s bucket, down to empty. */
  charge(address: string, cost: number, now: number): void {
    if (cost <= 0) return;
    const tokens = this.#refill(address, now);
    this.#buckets.set(address, { tokens: Math.max(0, tokens - cost), at: now });
    if (this.#buckets.size > MAX_TRACKED) this.#forgetFull(now);
  }

  /** Seconds until `address` can pay `cost`, for the refusal's text. */
  waitFor(address: string, cost: number, now: number): number {
    return Math.max(1, Math.ceil((cost - this.#refill(address, now)) / this.limits.presenceFanoutPerSecond));
  }

  #refill(address: string, now: number): number {
    const { presenceFanoutPerSecond: rate, presenceFanoutBurst: burst } = this.limits;
    const bucket = this.#buckets.get(address);
    if (!bucket) return burst;
    return Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * rate) / 1000);
  }

  #forgetFull(now: number): void {
    for (const [address] of this.#buckets) {
      if (this.#refill(address, now) >= this.limits.presenceFanoutBurst) this.#buckets.delete(address);
    }
  }
}
