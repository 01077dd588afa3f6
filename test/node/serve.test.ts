/** What only the self-hosted server promises: its settings from the environment, and rooms kept on disk. */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SETTING_NAMES } from "../../src/core/config/config.js";
import { wranglerCompatibilityFlags } from "../../tools/local-worker.js";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, register, waitFor } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

const servers: DevServer[] = [];
afterAll(async () => {
  closeAll();
  await Promise.all(servers.map((s) => s.stop()));
});

async function serve(dataDir: string, env: Record<string, string> = {}) {
  const server = await startNpmServer("npm run serve", { dataDir, env });
  servers.push(server);
  return server;
}

describe("deploy/workerd/config.capnp", () => {
  const capnp = readFileSync(new URL("../../deploy/workerd/config.capnp", import.meta.url), "utf8");

  it.each(SETTING_NAMES)("binds %s from the environment variable of the same name", (name) => {
    expect(capnp).toContain(`(name = "${name}", fromEnvironment = "${name}")`);
  });

  it("runs with the compatibility flags wrangler.toml deploys with", () => {
    const flags = wranglerCompatibilityFlags();
    expect(flags).toContain("no_web_socket_compression");
    expect(capnp).toContain(`compatibilityFlags = [${flags.map((f) => `"${f}"`).join(", ")}]`);
  });

  it("runs on the compatibility date wrangler.toml deploys with", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const date = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1];
    expect(date).toBeDefined();
    expect(capnp.match(/compatibilityDate = "([\d-]+)"/g)).toEqual([
      `compatibilityDate = "${date}"`,
      `compatibilityDate = "${date}"`,
    ]);
  });
});

describe("npm run serve", () => {
  it("reads every setting from the environment variable of the same name", async () => {
    const admin = "an-admin-token-of-at-least-32-characters";
    const server = await serve(await mkdtemp(join(tmpdir(), "serve-")), {
      MAX_PEERS_PER_ROOM: "3",
      ICE_SERVERS: '[{"urls":"stun:stun.example.test:3478"}]',
      ADMIN_TOKEN: admin,
    });
    const health = await fetch(`${server.url}/health`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(await health.json()).toMatchObject({ limits: { maxPeersPerRoom: 3 } });
    expect(await (await fetch(`${server.url}/ice-servers`)).json()).toEqual({
      ttl: 86_400,
      iceServers: [{ urls: "stun:stun.example.test:3478" }],
    });
    // Regression: the close after room_full reached the client 10 s after the error.
    const url = `${server.wsUrl}/rooms/full`;
    await Promise.all([0, 1, 2].map(async (i) => register(await connectWs(url), `p${i}`)));
    const late = await connectWs(url);
    expect(await late.next()).toMatchObject({ type: "error", code: "room_full" });
    const refusedAt = Date.now();
    expect(await late.closed()).toBe(1013);
    expect(Date.now() - refusedAt).toBeLessThan(2_000);
    closeAll();
    await server.stop();
  }, 120_000);

  // Regression: permessage-deflate was negotiated, so a 32 KB frame inflated to 32 MiB before any check (1,028:1).
  it("negotiates no WebSocket compression with a client that offers it", async () => {
    const server = await serve(await mkdtemp(join(tmpdir(), "serve-")));
    const ws = new WebSocket(`${server.wsUrl}/rooms/deflate`, { perMessageDeflate: true });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    expect(ws.extensions).toBe("");
    ws.close();
    await server.stop();
  }, 120_000);

  it("keeps rooms under DATA_DIR across a restart of the process", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "serve-"));
    const first = await serve(dataDir);
    const watcher = await register(await connectWs(`${first.wsUrl}/rooms/kept`), "watcher", { presence: true });
    for (let i = 0; i < 3; i++) await register(await connectWs(`${first.wsUrl}/rooms/kept`), `peer-${i}`);
    await waitFor(() => watcher.received.length === 4, "three peer_joined events");
    const last = watcher.received.at(-1);
    const revBefore = last && "rev" in last ? last.rev : Number.NaN;
    expect(revBefore).toBeGreaterThanOrEqual(4);
    await first.stop();
    expect(readdirSync(join(dataDir, "webrtc-signal-Peers")).some((f) => f.endsWith(".sqlite"))).toBe(true);

    const second = await serve(dataDir, {});
    const after = await register(await connectWs(`${second.wsUrl}/rooms/kept`), "after-restart");
    const registered = after.received[0];
    // The presence revision lives in the room's SQLite file: it resumes at or past what clients were told.
    expect(registered && "rev" in registered ? registered.rev : Number.NaN).toBeGreaterThanOrEqual(revBefore);
  }, 120_000);
});
