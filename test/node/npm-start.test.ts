/**
 * The quick start as a user runs it: `npm start` (wrangler dev, local workerd and SQLite), spoken to by a plain
 * `ws` client. It also lets the room hibernate for real (local workerd evicts an idle object after about 10 s)
 * and checks that the registrations survive it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, registeredAt } from "./ws-client.js";

let server: ChildProcess;
let output = "";
let base = "";
const outputWaiters = new Set<() => void>();

/** Waits until the server's output satisfies `check`, re-checking on every chunk it prints. */
function outputMatches(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const recheck = () => {
      if (!check()) return;
      clearTimeout(timer);
      outputWaiters.delete(recheck);
      resolve();
    };
    const timer = setTimeout(() => {
      outputWaiters.delete(recheck);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output so far:\n${output}`));
    }, timeoutMs);
    outputWaiters.add(recheck);
    recheck();
  });
}

beforeAll(async () => {
  const port = await freePort();
  server = spawn("npm", ["start", "--", "--port", String(port), "--ip", "127.0.0.1"], {
    cwd: new URL("../..", import.meta.url),
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    detached: true, // its own process group, so the whole tree (npm, wrangler, workerd) can be ended together
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const recheck of [...outputWaiters]) recheck();
  };
  server.stdout?.on("data", collect);
  server.stderr?.on("data", collect);
  const exited = new Promise<never>((_, reject) => {
    server.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  await Promise.race([outputMatches(() => /Ready on http/.test(output), "npm start to be ready", 60_000), exited]);
  base = `127.0.0.1:${port}`;
}, 70_000);

afterAll(() => {
  if (server?.pid) process.kill(-server.pid, "SIGTERM");
});

describe("npm start", () => {
  it("serves the landing page and health", async () => {
    const page = await fetch(`http://${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("WebRTC signaling server");
    expect(await (await fetch(`http://${base}/health`)).json()).toMatchObject({ ok: true });
  });

  it("speaks the seed's protocol to a plain ws client", async () => {
    const alice = await registeredAt(`ws://${base}/`, "alice");
    const bob = await connect(`ws://${base}/`);
    bob.send({ type: "register", peer_id: "bob" });
    expect(await bob.next()).toMatchObject({ type: "registered", peer_id: "bob", peers: ["alice"] });
    bob.send({ type: "list_peers" });
    expect(await bob.next()).toMatchObject({ type: "peers", peers: ["alice"] });
    bob.send({ type: "relay", to: "alice", data: { type: "offer", sdp: "v=0" } });
    expect(await alice.next()).toEqual({ type: "relay", from: "bob", data: { type: "offer", sdp: "v=0" } });
    bob.send({ type: "relay", to: "carol", data: 1 });
    expect(await bob.next()).toMatchObject({ type: "error", code: "unknown_peer" });
    await Promise.all([alice.close(), bob.close()]);
  });

  it("keeps registrations across a real hibernation of the room", async () => {
    const room = `ws://${base}/rooms/hibernate`;
    const alice = await registeredAt(room, "alice");
    const bob = await registeredAt(room, "bob");
    // Keepalives are answered by the runtime and must not keep the object awake.
    const keepalive = setInterval(() => alice.ws.send('{"type":"ping"}'), 2_000);
    const wokeBefore = countWakes();
    // Idle (but for runtime-answered keepalives) past workerd's hibernation timeout, then wake the room.
    await new Promise((resolve) => setTimeout(resolve, 22_000));
    alice.send({ type: "relay", to: "bob", data: "after hibernation" });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "after hibernation" });
    clearInterval(keepalive);
    expect(alice.received.filter((m) => m.type === "pong").length).toBeGreaterThanOrEqual(5);
    await outputMatches(() => countWakes() > wokeBefore, "the room_woke log line");
    await Promise.all([alice.close(), bob.close()]);
  }, 45_000);
});

/** How often a room has logged that it was rebuilt from its sockets, i.e. woke from hibernation. */
function countWakes(): number {
  return (output.match(/"event":"room_woke"/g) ?? []).length;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
