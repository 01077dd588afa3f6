/**
 * What the server hands a connection that reads everything and one that reads nothing, on the self-hosted server.
 *
 * Regressions: a socket that stopped reading was buffered for without limit (three of them grew the server by
 * 238 MiB in 30 s); the fix then counted what others sent a connection against it, so 45 relays/s of 60 KB (within
 * the message rate) closed a victim that read everything with 4003 after 10 s, every time it resumed, and on
 * y-webrtc one unsubscribed connection kicked all five readers of a topic. Now a sender's relays are charged to the
 * sender's own byte rate, what a receiver cannot take is refused to its sender, and nobody is closed for what
 * others sent it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, register, waitFor } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

const OUTBOUND = { bytesPerSecond: 262_144, burst: 1_048_576 };
let server: DevServer;
beforeAll(async () => {
  server = await startNpmServer("npm run serve", {
    env: { OUTBOUND_BYTES_PER_SECOND: String(OUTBOUND.bytesPerSecond), OUTBOUND_BURST_BYTES: String(OUTBOUND.burst) },
  });
}, 100_000);
afterAll(async () => {
  closeAll();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const chunk = "x".repeat(60_000);

describe("relays to a connection, sent faster than it is meant to take", () => {
  it("never close a reader: the sender is held to its own byte rate instead", async () => {
    const url = `${server.wsUrl}/rooms/flooded`;
    let received = 0;
    let registered = false;
    const victim = await connectWs(url, {
      retain: false, // it reads everything, and keeps none of it
      onMessage: (m) => {
        if (m.type === "relay") received++;
        if (m.type === "registered") registered = true;
      },
    });
    victim.send({ type: "register", peer_id: "victim" });
    await waitFor(() => registered, "the victim to register");
    const attacker = await register(await connectWs(url), "attacker");
    // 45 relays/s of 60 KB for 8 s: within the message rate (50/s), far past the byte rate (1 MiB/s).
    for (let i = 0; i < 360; i++) {
      attacker.send({ type: "relay", to: "victim", data: chunk, request_id: `r${i}` });
      await sleep(1000 / 45);
    }
    attacker.send({ type: "list_peers", request_id: "done" });
    await expect.poll(() => attacker.received.some((m) => m.type === "peers"), { timeout: 10_000 }).toBe(true);
    expect(victim.closeCode).toBeUndefined();
    // Past its byte rate the attacker is refused (rate_limited), and past what the victim is meant to take
    // (target_busy); whatever was not refused reached the victim.
    const refusals = attacker.received.filter((m) => m.type === "error");
    expect(new Set(refusals.map((m) => m.type === "error" && m.code))).toEqual(
      new Set(["rate_limited", "target_busy"]),
    );
    await expect.poll(() => received, { timeout: 10_000 }).toBe(360 - refusals.length);
  }, 40_000);

  it("to one that stops reading are refused to their sender past its budget, and it is not closed", async () => {
    const url = `${server.wsUrl}/rooms/not-reading`;
    const sender = await register(await connectWs(url), "sender");
    const raw = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve) => raw.once("open", resolve));
    raw.on("error", () => {});
    raw.send(JSON.stringify({ type: "register", peer_id: "sink" }));
    await new Promise((resolve) => raw.once("message", resolve));
    raw.pause(); // reads nothing more: the kernel's buffers fill, then the server's would
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      sender.send({ type: "relay", to: "sink", data: chunk, request_id: `r${i}` });
      await sleep(25);
    }
    sender.send({ type: "list_peers", request_id: "list" });
    await expect.poll(() => sender.received.at(-1)).toMatchObject({ type: "peers", peers: ["sink"] });
    const busy = sender.received.filter((m) => m.type === "error" && m.code === "target_busy");
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]).toMatchObject({ to: "sink", request_id: expect.stringMatching(/^r\d+$/) });
    // What the server handed the sink, and so buffered for it, stays within its budget.
    const handed = (40 - busy.length) * chunk.length;
    const seconds = (Date.now() - started) / 1000;
    expect(handed).toBeLessThanOrEqual(OUTBOUND.burst + OUTBOUND.bytesPerSecond * seconds + chunk.length);
    expect(raw.readyState).toBe(WebSocket.OPEN);
    raw.terminate();
  }, 30_000);

  it("on y-webrtc, never close the readers of a topic that a stranger floods", async () => {
    const url = `${server.wsUrl}/y-webrtc/flooded`;
    const readers = await Promise.all(Array.from({ length: 5 }, () => connectWs(url, { retain: false })));
    for (const reader of readers) reader.send({ type: "subscribe", topics: ["doc"] });
    const stranger = await connectWs(url);
    await sleep(200);
    for (let i = 0; i < 180; i++) {
      stranger.send({ type: "publish", topic: "doc", data: chunk });
      await sleep(1000 / 45);
    }
    stranger.send({ type: "ping", x: 1 });
    await expect.poll(() => stranger.received.some((m) => m.type === "pong"), { timeout: 10_000 }).toBe(true);
    expect(readers.map((r) => r.closeCode)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(stranger.received.some((m) => m.type === "error" && m.code === "rate_limited")).toBe(true);
  }, 40_000);
});
