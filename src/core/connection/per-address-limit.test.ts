import { describe, expect, it } from "vitest";
import { PerAddressLimit } from "./per-address-limit.js";

describe("PerAddressLimit", () => {
  it("lets an address open its quota each minute, and counts addresses apart", () => {
    let now = 120_000;
    const limiter = new PerAddressLimit(3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take("10.0.0.1"))).toEqual([true, true, true, false]);
    expect(limiter.take("10.0.0.2")).toBe(true);
    now += 60_000;
    expect(limiter.take("10.0.0.1")).toBe(true);
  });
});
