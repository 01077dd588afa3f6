import type { Limits } from "../config/limits.js";

export type RateVerdict = "ok" | "limited" | "abusive";

/**
 * A token bucket per connection. A message over the rate is `limited` (answered and dropped); a connection that
 * is still being limited `abuseAfterMs` after its first limited message, without the bucket having refilled in
 * between, is `abusive` (closed). A single burst, however large, drains and then refills, so it is only limited.
 * Kept in memory only: it resets when the room wakes from hibernation, which only happens after a quiet spell.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;
  #limitedSince: number | undefined;

  constructor(
    private readonly limits: Pick<Limits, "ratePerSecond" | "rateBurst" | "abuseAfterMs">,
    now: number,
  ) {
    this.#tokens = limits.rateBurst;
    this.#updatedAt = now;
  }

  /**
   * Takes `tokens` more for work already done (a large answer), down to one burst in debt: the next messages are
   * limited until the bucket refills.
   */
  charge(tokens: number): void {
    if (tokens > 0) this.#tokens = Math.max(-this.limits.rateBurst, this.#tokens - tokens);
  }

  take(now: number): RateVerdict {
    const { ratePerSecond, rateBurst, abuseAfterMs } = this.limits;
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(rateBurst, this.#tokens + (elapsed * ratePerSecond) / 1000);
    this.#updatedAt = now;
    if (this.#tokens >= rateBurst) this.#limitedSince = undefined;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return "ok";
    }
    this.#limitedSince ??= now;
    return now - this.#limitedSince >= abuseAfterMs ? "abusive" : "limited";
  }
}

/** What a client is told of a message dropped for its rate. */
export function rateLimitedText({ ratePerSecond, rateBurst }: Pick<Limits, "ratePerSecond" | "rateBurst">): string {
  return `over the rate limit of ${ratePerSecond} messages/s (bursts of ${rateBurst}); the message was dropped`;
}
