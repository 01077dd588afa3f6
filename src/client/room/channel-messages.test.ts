import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, framesOf, Reassembler } from "./channel-messages.js";

function roundTrip(data: unknown, max = 1 << 24) {
  const reassembler = new Reassembler(max);
  const frames = framesOf(data);
  const results = frames.map((frame) => reassembler.add(frame.buffer));
  return { frames, results, last: results.at(-1) };
}

describe("room messages on a data channel", () => {
  it("carries JSON, strings and bytes as they were sent", () => {
    expect(roundTrip({ a: [1, "two"] }).last).toEqual({ message: { a: [1, "two"] } });
    expect(roundTrip("plain text").last).toEqual({ message: "plain text" });
    expect(roundTrip("").last).toEqual({ message: "" });
    const bytes = new Uint8Array([1, 2, 3]);
    const got = roundTrip(bytes).last as { message: ArrayBuffer };
    expect(new Uint8Array(got.message)).toEqual(bytes);
    const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    expect(new Uint8Array((roundTrip(view).last as { message: ArrayBuffer }).message)).toEqual(new Uint8Array([8, 7]));
  });

  it("cuts a large message into frames no larger than CHUNK_BYTES and puts it back together", () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const { frames, results, last } = roundTrip(big);
    expect(frames.length).toBe(Math.ceil(100_000 / (CHUNK_BYTES - 2)));
    expect(frames.every((f) => f.length <= CHUNK_BYTES)).toBe(true);
    expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
    expect(new Uint8Array((last as { message: ArrayBuffer }).message)).toEqual(big);
  });

  it("drops a message over maxBytes, skips its other chunks, and takes the next one", () => {
    const reassembler = new Reassembler(20_000);
    const results = [...framesOf("x".repeat(50_000)), ...framesOf("next")].map((f) => reassembler.add(f.buffer));
    expect(results.filter((r) => r instanceof Error)).toHaveLength(1);
    expect(results.at(-1)).toEqual({ message: "next" });
  });

  it("refuses what is not a room message, and a value JSON cannot carry", () => {
    expect(new Reassembler(100).add(new Uint8Array([7, 1, 0]).buffer)).toBeInstanceOf(Error);
    expect(() => framesOf(undefined)).toThrow(TypeError);
  });
});
