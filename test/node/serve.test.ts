/** What only the self-hosted server promises: its settings from the environment, and rooms kept on disk. */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SETTING_NAMES } from "../../src/core/config.js";
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
    const server = await serve(await mkdtemp(join(tmpdir(), "serve-")), {
      MAX_PEERS_PER_ROOM: "3",
      ICE_SERVERS: '[{"urls":"stun:stun.example.test:3478"}]',
    });
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ limits: { maxPeersPerRoom: 3 } });
    expect(await (await fetch(`${server.url}/ice-servers`)).json()).toEqual({
      iceServers: [{ urls: "stun:stun.example.test:3478" }],
    });
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
