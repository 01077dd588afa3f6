import { describe, expect, it } from "vitest";
import { TokenBucket } from "./rate-limit.js";

const limits = { ratePerSecond: 50, rateBurst: 200, abuseAfterMs: 10_000 };

function takeMany(bucket: TokenBucket, count: number, now: number) {
  const verdicts = { ok: 0, limited: 0, abusive: 0 };
  for (let i = 0; i < count; i++) verdicts[bucket.take(now)]++;
  return verdicts;
}

describe("TokenBucket", () => {
  it("lets a burst of the bucket's size through at once, then limits", () => {
    const bucket = new TokenBucket(limits, 0);
    expect(takeMany(bucket, 250, 0)).toEqual({ ok: 200, limited: 50, abusive: 0 });
  });

  it("refills at the sustained rate", () => {
    const bucket = new TokenBucket(limits, 0);
    takeMany(bucket, 200, 0);
    expect(takeMany(bucket, 60, 1_000)).toEqual({ ok: 50, limited: 10, abusive: 0 });
  });

  it("never calls a single burst abusive, however large", () => {
    const bucket = new TokenBucket(limits, 0);
    expect(takeMany(bucket, 100_000, 0).abusive).toBe(0);
    // After refilling fully, a new burst starts a new episode.
    expect(takeMany(bucket, 100_000, 20_000).abusive).toBe(0);
  });

  it("calls a socket abusive when it is still over the rate 10 s after it was first limited", () => {
    const bucket = new TokenBucket(limits, 0);
    let firstLimited: number | undefined;
    let abusiveAt: number | undefined;
    // 100 messages/s, twice the rate: the burst drains in 4 s, then half the messages are limited.
    for (let ms = 0; ms <= 30_000 && abusiveAt === undefined; ms += 10) {
      const verdict = bucket.take(ms);
      if (verdict === "limited") firstLimited ??= ms;
      if (verdict === "abusive") abusiveAt = ms;
    }
    expect(firstLimited).toBeGreaterThan(3_900);
    expect(abusiveAt).toBe((firstLimited ?? 0) + 10_000);
  });

  it("forgives a limited socket once it has slowed down and the bucket has refilled", () => {
    const bucket = new TokenBucket(limits, 0);
    takeMany(bucket, 300, 0); // limited from t=0
    expect(bucket.take(5_000)).toBe("ok"); // 4 s of quiet refills 200 tokens
    expect(takeMany(bucket, 300, 11_000).abusive).toBe(0);
  });
});
