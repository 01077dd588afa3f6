/**
 * Property tests: whatever a client sends, nothing throws out of the pipeline, every frame that is not a valid
 * command gets exactly one error, and a pair relaying meanwhile sees nothing of it.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hostileFrame as frame } from "../../../test/helpers/fuzz-frames.js";
import { DEFAULT_LIMITS } from "../config/limits.js";
import { seedCodec } from "../protocols/seed/codec.js";
import { parseClientMessage } from "../wire/parse-client.js";
import { Pipeline } from "./pipeline.js";
import { MemoryReservationStore } from "./reservations.js";

class Conn {
  sent: Array<Record<string, unknown>> = [];
  closedWith: number | undefined;
}

function host() {
  const pipeline = new Pipeline<Conn>({
    codec: seedCodec,
    revisionStore: { load: () => 0, save: () => {} },
    reservationStore: new MemoryReservationStore(),
    limits: { ...DEFAULT_LIMITS, ratePerSecond: 1e9, rateBurst: 1e9 },
    roomName: "fuzz",
    transport: {
      send: (c, text) => {
        c.sent.push(JSON.parse(text));
        return true;
      },
      close: (c, code) => {
        c.closedWith = code;
      },
      save: () => {},
      countConnections: () => 3,
      lastAutoResponse: () => undefined,
      schedule: () => {},
    },
  });
  const open = () => {
    const c = new Conn();
    pipeline.open(c);
    return c;
  };
  return { pipeline, open };
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
        const { pipeline, open } = host();
        const [alice, bob, fuzzer] = [open(), open(), open()];
        pipeline.message(alice, '{"type":"register","peer_id":"alice"}');
        pipeline.message(bob, '{"type":"register","peer_id":"bob"}');
        for (const [i, f] of frames.entries()) {
          const before = fuzzer.sent.length;
          const valid = parseClientMessage(f, DEFAULT_LIMITS).ok;
          pipeline.message(fuzzer, f);
          if (!valid) expect(fuzzer.sent.slice(before)).toEqual([expect.objectContaining({ type: "error" })]);
          pipeline.message(alice, JSON.stringify({ type: "relay", to: "bob", data: i }));
        }
        const toBob = bob.sent.slice(1).filter((m) => m.from === "alice");
        expect(toBob.map((m) => m.data)).toEqual(frames.map((_, i) => i));
        expect(alice.sent.slice(1)).toEqual([]);
        expect(fuzzer.sent.some((m) => m.code === "internal_error")).toBe(false);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    expect(error).not.toHaveBeenCalled();
  });
});
