import { describe, expect, it } from "vitest";
import { closeQuietly, sendQuietly } from "./hibernation.js";

function fakeSocket() {
  const closes: Array<[number | undefined, string | undefined]> = [];
  return {
    closes,
    close(code?: number, reason?: string) {
      closes.push([code, reason]);
    },
  };
}

describe("closeQuietly", () => {
  it("answers the peer's Close frame with its own code", () => {
    const ws = fakeSocket();
    closeQuietly(ws, 4001, "bye");
    expect(ws.closes).toEqual([[4001, "bye"]]);
  });

  it("answers a code that may not be sent back (1004) with 1000", () => {
    const ws = fakeSocket();
    closeQuietly(ws, 1004, "");
    expect(ws.closes).toEqual([[1000, ""]]);
  });

  it("answers a Close frame without a code (1005) with 1000, since its sender waits for the answer", () => {
    const ws = fakeSocket();
    closeQuietly(ws, 1005, "");
    expect(ws.closes).toEqual([[1000, ""]]);
  });

  // Regression: 1006 and 1015 were answered with 1000 on a transport already gone, which the runtime later
  // rejected as an unhandled "Network connection lost".
  it.each([1006, 1015])("does not answer %i: no Close frame came and the transport is gone", (code) => {
    const ws = fakeSocket();
    closeQuietly(ws, code, "");
    expect(ws.closes).toEqual([]);
  });

  it("swallows the error of a socket that is already closed", () => {
    expect(() =>
      closeQuietly(
        {
          close: () => {
            throw new Error("already closed");
          },
        },
        1000,
        "",
      ),
    ).not.toThrow();
  });
});

describe("sendQuietly", () => {
  it("reports whether the runtime took the frame", () => {
    expect(sendQuietly({ send: () => {} }, "x")).toBe(true);
    expect(
      sendQuietly(
        {
          send: () => {
            throw new Error("closing");
          },
        },
        "x",
      ),
    ).toBe(false);
  });
});
