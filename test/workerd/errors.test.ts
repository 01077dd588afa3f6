import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/limits.js";
import { freshRoom, registered, wsConnect } from "./ws-connect.js";

describe("protocol errors", () => {
  it.each([
    ["invalid_json", "{not json"],
    ["invalid_message", "[]"],
    ["unknown_type", '{"type":"teleport"}'],
    ["invalid_peer_id", '{"type":"register","peer_id":"bad id"}'],
  ])("answers %s with a code and a human message", async (code, frame) => {
    const socket = await wsConnect(`/rooms/${freshRoom("err")}`);
    socket.sendRaw(frame);
    const answer = await socket.next();
    expect(answer).toMatchObject({ type: "error", code });
    expect(answer.type === "error" && answer.error.length).toBeGreaterThan(10);
  });

  it("answers a binary frame with binary_not_supported", async () => {
    const socket = await wsConnect(`/rooms/${freshRoom("err")}`);
    socket.sendRaw(new Uint8Array([1, 2, 3]).buffer);
    expect(await socket.next()).toMatchObject({ type: "error", code: "binary_not_supported" });
  });

  it("answers a message over the size limit with message_too_large and relays nothing", async () => {
    const room = freshRoom("err");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room);
    alice.send({ type: "relay", to: "bob", data: "x".repeat(DEFAULT_LIMITS.maxMessageBytes) });
    expect(await alice.next()).toMatchObject({ type: "error", code: "message_too_large" });
    alice.send({ type: "relay", to: "bob", data: "small" });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "small" });
  });

  it("echoes request_id on errors that can read it", async () => {
    const socket = await wsConnect(`/rooms/${freshRoom("err")}`);
    socket.send({ type: "teleport", request_id: "t-9" });
    expect(await socket.next()).toMatchObject({ code: "unknown_type", request_id: "t-9" });
  });

  it("keeps the connection open after a protocol error, and other peers unaffected", async () => {
    const room = freshRoom("err");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room);
    for (const frame of ["{", "[]", '{"type":"x"}', '{"type":"relay","to":"ghost","data":1}']) alice.sendRaw(frame);
    for (let i = 0; i < 4; i++) expect(await alice.next()).toMatchObject({ type: "error" });
    alice.send({ type: "relay", to: "bob", data: "still here" });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "still here" });
    expect(bob.received.filter((m) => m.type === "error")).toEqual([]);
  });
});
