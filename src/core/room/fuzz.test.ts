/**
 * Property tests: whatever a client sends, nothing throws out of the front, every frame that is not a valid
 * command gets exactly one error, and a pair relaying meanwhile sees nothing of it; and the relay hot path reads
 * every frame it accepts exactly as the full parser does.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hostileFrame as frame } from "../../../test/helpers/fuzz-frames.js";
import { type MemoryConn, memoryHost } from "../../../test/helpers/memory-host.js";
import { DEFAULT_LIMITS } from "../config/limits.js";
import { parseClientMessage, readCanonicalRelay } from "../wire/parse-client.js";

function host() {
  const memory = memoryHost({ limits: { ratePerSecond: 1e9, rateBurst: 1e9 }, name: "fuzz" });
  const message = (c: MemoryConn, frame: string | ArrayBuffer) => memory.front.message(c, frame);
  return { open: (name: string) => memory.connect(name), message };
}

afterEach(() => vi.restoreAllMocks());

describe("fuzzing", () => {
  it("parses any frame to a message or an error, never throwing", () => {
    fc.assert(
      fc.property(frame, (f) => {
        const result = parseClientMessage(f, DEFAULT_LIMITS);
        expect(result.ok ? result.message.type : result.error.code).toEqual(expect.any(String));
      }),
      { numRuns: 2_000 },
    );
  });

  it("answers every bad frame with one error, while a pair relaying meanwhile sees only its own relays", () => {
    const error = vi.spyOn(console, "error");
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 20 }), (frames) => {
        const { message, open } = host();
        const [alice, bob, fuzzer] = [open("a"), open("b"), open("f")];
        message(alice, '{"type":"register","peer_id":"alice"}');
        message(bob, '{"type":"register","peer_id":"bob"}');
        for (const [i, f] of frames.entries()) {
          const before = fuzzer.sent.length;
          const valid = parseClientMessage(f, DEFAULT_LIMITS).ok;
          message(fuzzer, f);
          if (!valid) expect(fuzzer.sent.slice(before)).toEqual([expect.objectContaining({ type: "error" })]);
          message(alice, JSON.stringify({ type: "relay", to: "bob", data: i }));
        }
        const toBob = bob.sent.slice(1).filter((m: { from?: string }) => m.from === "alice");
        expect(toBob.map((m: { data: unknown }) => m.data)).toEqual(frames.map((_, i) => i));
        expect(alice.sent.slice(1)).toEqual([]);
        expect(fuzzer.sent.some((m: { code?: string }) => m.code === "internal_error")).toBe(false);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    expect(error).not.toHaveBeenCalled();
  });

  it("reads a relay on the hot path exactly as the full parser does, or leaves it to the parser", () => {
    const requestId = fc.stringMatching(/^[a-z0-9:-]{1,20}$/);
    const seqText = fc.oneof(
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(String),
      fc.constantFrom("0", "01", "-1", "1.5", "1e3", "9007199254740993", "99999999999999999999"),
    );
    const canonical = fc
      .tuple(
        fc.constantFrom("bob", "a.b@c:d", "x".repeat(64)),
        fc.json({ depthSize: "small" }),
        fc.option(requestId),
        seqText,
      )
      .chain(([to, json, id, seq]) =>
        fc.constantFrom(
          `{"type":"relay","to":"${to}","data":${json}}`,
          `{"type":"relay","to":"${to}","seq":${seq},"data":${json}}`,
          `{"type":"relay","to":"${to}","seq":${seq},"request_id":"${id ?? "r"}","data":${json}}`,
          `{"type":"relay","to":"${to}","data": ${json} }`,
          `{"type":"relay","to":"${to}","request_id":"${id ?? "r"}","data":${json}}`,
          `{"type":"relay","to":"${to}","data":${json},"request_id":"${id ?? "r"}"}`,
          `{"type":"relay","to":"${to}","data":${json},"x":1}`,
          `{"type":"relay","to":"${to}","data":${json},"data":2}`,
        ),
      );
    fc.assert(
      fc.property(fc.oneof(canonical, frame), (f) => {
        const fast = readCanonicalRelay(f, DEFAULT_LIMITS);
        if (fast === undefined) return;
        const full = parseClientMessage(f, DEFAULT_LIMITS);
        expect(full.ok).toBe(true);
        if (!full.ok || full.message.type !== "relay") throw new Error("the hot path took what the parser refuses");
        expect(fast.to).toBe(full.message.to);
        expect(fast.seq).toBe(full.message.seq);
        expect(fast.requestId).toBe(full.message.request_id);
        expect(JSON.parse(fast.data)).toEqual(full.message.data);
      }),
      { numRuns: 3_000 },
    );
  });

  it("takes the shapes the SDK and plain clients write", () => {
    for (const f of [
      '{"type":"relay","to":"bob","data":{"sdp":"v=0"}}',
      '{"type":"relay","to":"bob","data":{"sdp":"v=0"},"request_id":"relay-1"}',
      '{"type":"relay","to":"bob","request_id":"relay-1","data":[1,2]}',
      '{"type":"relay","to":"bob","seq":7,"request_id":"relay-7","data":{"candidates":[]}}',
    ]) {
      expect(readCanonicalRelay(f, DEFAULT_LIMITS)).toBeDefined();
    }
  });
});
