import { describe, expect, it } from "vitest";
import { isSealed, SignalSeal } from "./signal-seal.js";

describe("SignalSeal", () => {
  it("opens what the same secret sealed in the same room, between the same two peers", async () => {
    const [a, b] = await Promise.all([
      SignalSeal.derive("correct horse", "lobby"),
      SignalSeal.derive("correct horse", "lobby"),
    ]);
    const sealed = await a.seal({ rtc: "description", description: { type: "offer", sdp: "v=0" } }, "alice", "bob");
    expect(isSealed(sealed)).toBe(true);
    expect(JSON.stringify(sealed)).not.toContain("v=0");
    expect(await b.open(sealed, "alice", "bob")).toEqual({
      rtc: "description",
      description: { type: "offer", sdp: "v=0" },
    });
  });

  it("does not open with another secret, in another room, or handed to another peer", async () => {
    const seal = await SignalSeal.derive("correct horse", "lobby");
    const sealed = await seal.seal("hello", "alice", "bob");
    expect(await (await SignalSeal.derive("battery staple", "lobby")).open(sealed, "alice", "bob")).toBeUndefined();
    expect(await (await SignalSeal.derive("correct horse", "other")).open(sealed, "alice", "bob")).toBeUndefined();
    expect(await seal.open(sealed, "alice", "carol")).toBeUndefined();
    expect(await seal.open(sealed, "mallory", "bob")).toBeUndefined();
    expect(await seal.open({ ...sealed, ct: "AAAA" }, "alice", "bob")).toBeUndefined();
  });

  it("seals the same signal differently each time", async () => {
    const seal = await SignalSeal.derive("s", "r");
    const [x, y] = await Promise.all([seal.seal(1, "a", "b"), seal.seal(1, "a", "b")]);
    expect(x.iv).not.toBe(y.iv);
  });
});
