import { describe, expect, it } from "vitest";
import { LARGEST_ATTACHMENT, MAX_ATTACHMENT_BYTES, parseAttachment } from "./attachment.js";

const anyState = (value: unknown) => value;

describe("parseAttachment", () => {
  it("reads back what was written", () => {
    const written = { v: 1, name: "r", opened: 5, address: "192.0.2.1", keepsAlive: true, seen: 9, state: ["t"] };
    expect(parseAttachment(written, anyState)).toEqual(written);
    expect(parseAttachment({ v: 1, name: "r", opened: 5 }, anyState)).toEqual({ v: 1, name: "r", opened: 5 });
  });

  it.each([
    ["nothing", null],
    ["a string", "alice"],
    ["another version's", { v: 2, name: "r", opened: 5 }],
    ["no opening time", { v: 1, name: "r" }],
    ["a room name the Worker would refuse", { v: 1, name: "a/b", opened: 5 }],
  ])("gives undefined for %s", (_name, value) => {
    expect(parseAttachment(value, anyState)).toBeUndefined();
  });

  it("drops a field it cannot trust rather than the whole attachment", () => {
    const read = parseAttachment(
      { v: 1, name: "r", opened: 5, subject: "bad id", address: "x".repeat(46), keepsAlive: "yes", seen: "soon" },
      anyState,
    );
    expect(read).toEqual({ v: 1, name: "r", opened: 5 });
    expect(parseAttachment({ v: 1, name: "r", opened: 5, state: "junk" }, () => undefined)).toEqual({
      v: 1,
      name: "r",
      opened: 5,
    });
  });

  it("leaves nearly all of the runtime's attachment cap to the protocol's own state", () => {
    expect(JSON.stringify(LARGEST_ATTACHMENT).length).toBeLessThan(MAX_ATTACHMENT_BYTES / 32);
  });
});
