import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, readLimits } from "./limits.js";

describe("readLimits", () => {
  it("uses the defaults when no var is set", () => {
    expect(readLimits({})).toEqual(DEFAULT_LIMITS);
  });

  it("reads string vars as wrangler passes them, seconds scaled to ms", () => {
    expect(readLimits({ MAX_PEERS_PER_ROOM: "10", RATE_LIMIT_ABUSE_SECONDS: "3" })).toMatchObject({
      maxPeersPerRoom: 10,
      abuseAfterMs: 3_000,
    });
  });

  it.each([
    ["MAX_MESSAGE_BYTES", "64k"],
    ["MAX_MESSAGE_BYTES", "0"],
    ["MAX_MESSAGE_BYTES", String(64 * 1024 * 1024)],
    ["MAX_PEERS_PER_ROOM", "40000"],
    ["RATE_LIMIT_PER_SECOND", "-1"],
    ["RATE_LIMIT_BURST", "1.5"],
  ])("rejects %s = %s, naming the var and the value", (name, value) => {
    expect(() => readLimits({ [name]: value })).toThrow(new RegExp(`${name} must be .* got "${value}"`));
  });
});
