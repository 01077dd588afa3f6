import { describe, expect, it } from "vitest";
import { LARGEST_CONNECTION_STATE, MAX_CONNECTION_STATE_BYTES, parseConnectionState } from "./connection-state.js";

describe("parseConnectionState", () => {
  it("reads back what was written", () => {
    expect(parseConnectionState({ room: "r", peerId: "alice", presence: true })).toEqual({
      room: "r",
      peerId: "alice",
      presence: true,
    });
    expect(parseConnectionState({ room: "r" })).toEqual({ room: "r" });
  });

  it.each([
    ["nothing", null],
    ["a string", "alice"],
    ["no room", { peerId: "alice" }],
    ["a room name the Worker would refuse", { room: "a/b" }],
  ])("gives undefined for %s", (_name, value) => {
    expect(parseConnectionState(value)).toBeUndefined();
  });

  it("drops a field it cannot trust rather than the whole state", () => {
    expect(parseConnectionState({ room: "r", peerId: "bad id", presence: "yes" })).toEqual({ room: "r" });
  });

  it("stays far under the runtime's attachment cap", () => {
    expect(JSON.stringify(LARGEST_CONNECTION_STATE).length).toBeLessThan(MAX_CONNECTION_STATE_BYTES / 32);
  });
});
