/** Fuzzing over real sockets against `npm start`: bad frames get errors, and a pair relaying meanwhile is untouched. */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { DEFAULT_LIMITS } from "../../src/core/config/limits.js";
import { parseClientMessage } from "../../src/core/wire/parse-client.js";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, register, waitFor } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";
import { hostileFrame } from "../helpers/fuzz-frames.js";

let server: DevServer;
beforeAll(async () => {
  server = await startNpmServer("npm start");
}, 100_000);
afterAll(async () => {
  closeAll();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("fuzzing over sockets", () => {
  it("answers random frames with errors, never an internal one, while a pair relays undisturbed", async () => {
    const url = `${server.wsUrl}/rooms/fuzz`;
    const alice = await register(await connectWs(url), "alice");
    const bob = await register(await connectWs(url), "bob");
    const fuzzer = await connectWs(url);
    const frames = fc.sample(hostileFrame, { numRuns: 150, seed: 42 });
    const invalid = frames.filter((f) => !parseClientMessage(f, DEFAULT_LIMITS).ok).length;
    for (const [i, frame] of frames.entries()) {
      fuzzer.sendRaw(frame);
      alice.send({ type: "relay", to: "bob", data: i });
      await sleep(25); // within the default rate of 50 messages/s
    }
    await waitFor(() => bob.received.length === 1 + frames.length, "every relay from alice");
    expect(bob.received.slice(1).map((m) => (m.type === "relay" ? m.data : m))).toEqual(frames.map((_, i) => i));
    expect(alice.received.slice(1)).toEqual([]);
    await waitFor(
      () => fuzzer.received.filter((m) => m.type === "error").length >= invalid,
      `${invalid} errors for ${invalid} invalid frames`,
    );
    expect(fuzzer.received.some((m) => m.type === "error" && m.code === "internal_error")).toBe(false);
    expect(server.output()).not.toMatch(/"level":"error"/);
  }, 60_000);

  it("answers or closes a socket that sends invalid UTF-8 as text, and keeps serving everyone else", async () => {
    const url = `${server.wsUrl}/rooms/utf8`;
    const alice = await register(await connectWs(url), "alice");
    const bob = await register(await connectWs(url), "bob");
    const raw = new WebSocket(url);
    await new Promise((resolve) => raw.once("open", resolve));
    raw.on("error", () => {});
    // Either the runtime refuses the frame (a close) or it reaches the room as text that is not JSON (an error).
    const outcome = new Promise<string>((resolve) => {
      raw.once("close", (code) => resolve(`closed ${code}`));
      raw.once("message", (data) => resolve(JSON.parse(String(data)).code));
    });
    raw.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await outcome).toMatch(/^(closed 10\d\d|invalid_json)$/);
    alice.send({ type: "relay", to: "bob", data: "still here" });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "still here", seq: expect.any(Number) });
    raw.terminate();
  });
});
