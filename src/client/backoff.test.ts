import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  const options = { baseMs: 500, maxMs: 30_000 };

  it("stays below the exponential cap, never reaching it", () => {
    expect(backoffDelay(0, options, () => 0.999999)).toBe(499);
    expect(backoffDelay(3, options, () => 0.999999)).toBe(3_999);
  });

  it("never waits longer than the maximum, however many attempts", () => {
    for (const attempt of [6, 10, 50, 10_000])
      expect(backoffDelay(attempt, options, () => 0.999999)).toBeLessThan(30_000);
  });

  it("spreads retries over the whole range (full jitter)", () => {
    expect(backoffDelay(5, options, () => 0)).toBe(0);
    expect(backoffDelay(5, options, () => 0.5)).toBe(8_000);
  });
});
