import { describe, expect, it } from "vitest";
import { PerAddressLimit } from "./per-address-limit.js";

describe("PerAddressLimit", () => {
  it("lets an address open its quota each minute, and counts addresses apart", () => {
    let now = 120_000;
    const limiter = new PerAddressLimit(3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take("10.0.0.1"))).toEqual([true, true, true, false]);
    expect(limiter.take("10.0.0.2")).toBe(true);
    now += 120_000;
    expect(limiter.take("10.0.0.1")).toBe(true);
  });

  // Regression: a fixed window forgot an address's count at the turn of the minute, so that the admin token's
  // guesser was let through again a moment after it had been refused (a flaky test found it).
  it("keeps counting across the turn of a minute, and frees the quota as the sliding minute moves on", () => {
    let now = 60_000 - 100;
    const limiter = new PerAddressLimit(10, () => now);
    for (let i = 0; i < 10; i++) expect(limiter.take("10.0.0.1")).toBe(true);
    now += 200;
    expect(limiter.take("10.0.0.1")).toBe(false);
    now = 60_000 + 30_000;
    expect(limiter.used("10.0.0.1")).toBe(6);
    expect(limiter.take("10.0.0.1")).toBe(true);
    now = 180_000;
    expect(limiter.used("10.0.0.1")).toBe(0);
  });
});
