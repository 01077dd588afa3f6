/**
 * The self-hosted server stopping and starting, run as a process of its own (not through npm, so that what is
 * tested is the server's own answer to the signal).
 *
 * Regressions: on SIGTERM (what kill, systemd and Docker send) with sockets open, `npm run serve` went on relaying,
 * new connections hung, the port stayed bound and a restart failed with EADDRINUSE; and every room name ever opened
 * left an empty SQLite file behind.
 */
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../tools/npm-server.js";
import { serving, startServe } from "../../tools/serve-process.js";
import { closeAll, freshRoom, register } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

afterAll(() => {
  closeAll();
  for (const child of serving) child.kill("SIGKILL");
});

const serve = (port: number, dataDir: string) => startServe({ port, dataDir });

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

const roomFiles = (dataDir: string) => {
  const dir = join(dataDir, "webrtc-signal-Peers");
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^[0-9a-f]{64}\.sqlite$/.test(f)) : [];
};

describe("npm run serve, stopped and started again", () => {
  it("closes every socket with 1012 on SIGTERM and exits at once; clients resume on the next server", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "serve-stop-"));
    const first = await serve(port, dataDir);
    const url = `ws://127.0.0.1:${port}/rooms/${freshRoom("restart")}`;
    const alice = await register(await connectWs(url), "alice");
    const bob = await register(await connectWs(url), "bob");
    const token = bob.received[0]?.type === "registered" ? bob.received[0].resume_token : "";
    const stoppedAt = Date.now();
    const code = await first.stop("SIGTERM");
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(code).toBe(0);
    expect(await alice.closed()).toBe(1012);
    expect(await bob.closed()).toBe(1012);
    expect(await canBind(port)).toBe(true);

    // The next server on the same port and data: bob takes his id back, held for him across the restart.
    const second = await serve(port, dataDir);
    const back = await connectWs(url);
    back.send({ type: "register", peer_id: "bob", resume_token: token });
    expect(await back.next()).toMatchObject({ type: "registered", peer_id: "bob", resumed: true });
    await second.stop("SIGTERM");
  }, 120_000);

  // Regression: a kill (or a crash) ended every connection without a word to the room, so every id was free for
  // anyone to take before its client came back.
  it("holds every id through SIGKILL: nobody else takes it, and its client gets it back", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "serve-kill-"));
    const first = await serve(port, dataDir);
    const url = `ws://127.0.0.1:${port}/rooms/${freshRoom("killed")}`;
    const alice = await register(await connectWs(url), "alice");
    const bob = await register(await connectWs(url), "bob");
    const token = bob.received[0]?.type === "registered" ? bob.received[0].resume_token : "";
    alice.send({ type: "relay", to: "bob", data: "before the kill", seq: 1 });
    await bob.next();
    await first.stop("SIGKILL");
    await alice.closed();

    const second = await serve(port, dataDir);
    const thief = await connectWs(url);
    thief.send({ type: "register", peer_id: "bob" });
    expect(await thief.next()).toMatchObject({ type: "error", code: "peer_id_taken" });
    const back = await connectWs(url);
    back.send({ type: "register", peer_id: "bob", resume_token: token, last_seq: 1 });
    // Back with its id; what was in flight at the kill is gone, and the client is told so.
    expect(await back.next()).toMatchObject({ type: "registered", peer_id: "bob", resumed: true, recovered: false });
    await second.stop("SIGTERM");
  }, 120_000);

  it("leaves no file behind for a room that held nothing, and keeps one that holds a reservation", async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "serve-files-"));
    const first = await serve(port, dataDir);
    for (let i = 0; i < 5; i++) {
      const socket = await register(await connectWs(`ws://127.0.0.1:${port}/rooms/${freshRoom("empty")}`), "a");
      socket.close(1000);
      await socket.closed();
    }
    const kept = await register(await connectWs(`ws://127.0.0.1:${port}/rooms/${freshRoom("kept")}`), "kept");
    kept.drop(); // not a goodbye: the room holds kept's id, in its SQLite file
    await kept.closed();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await first.stop("SIGTERM");
    expect(roomFiles(dataDir).length).toBe(6);

    const second = await serve(port, dataDir);
    expect(second.output()).toContain("Removed 5 empty room file(s); 1 kept");
    expect(roomFiles(dataDir).length).toBe(1);
    await second.stop("SIGTERM");
  }, 120_000);
});
