/**
 * Signed webhooks from the self-hosted server to a receiver on this machine, verified with the standardwebhooks
 * library as any receiver would: each join and leave, in order, and a delivery that fails tried again under the
 * same webhook-id until the receiver takes it.
 */

import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { type DevServer, freePort, startNpmServer } from "../../tools/npm-server.js";
import { type ServeProcess, startServe } from "../../tools/serve-process.js";
import { closeAll, register } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

const SECRET = `whsec_${Buffer.from("a webhook secret of 32 bytes!!!!").toString("base64")}`;

interface Delivery {
  id: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  status: number;
}

const servers: Array<DevServer | ServeProcess> = [];
const receivers: Server[] = [];
afterAll(async () => {
  closeAll();
  await Promise.all(servers.map((s) => s.stop()));
  for (const r of receivers) r.close();
});

/** A receiver that verifies every delivery and answers `status(n)` to the nth. */
async function listen(deliveries: Delivery[], status: () => number, port = 0): Promise<Server> {
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
    const payload = new Webhook(SECRET).verify(body, headers) as Delivery["body"];
    const answer = status();
    deliveries.push({ id: headers["webhook-id"] as string, body: payload, status: answer });
    response.writeHead(answer).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  receivers.push(server);
  return server;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", () => resolve(text));
  });
}

describe("webhooks", () => {
  it("sends signed peer.joined and peer.left in order, and retries a failed one under the same id", async () => {
    const deliveries: Delivery[] = [];
    let failNext = 0;
    // Its verify throws on a bad signature: the test fails on the first unsigned or tampered delivery.
    const receiver = await listen(deliveries, () => (failNext-- > 0 ? 500 : 204));
    const port = (receiver.address() as AddressInfo).port;
    const server = await startNpmServer("npm run serve", {
      env: { WEBHOOK_URL: `http://127.0.0.1:${port}/hooks`, WEBHOOK_SECRET: SECRET },
    });
    servers.push(server);

    const alice = await register(await connectWs(`${server.wsUrl}/rooms/hooks`), "alice");
    const bob = await register(await connectWs(`${server.wsUrl}/rooms/hooks`), "bob");
    await expect.poll(() => deliveries.length, { timeout: 10_000 }).toBe(2);
    expect(deliveries.map((d) => [d.body.type, d.body.data.peer_id])).toEqual([
      ["peer.joined", "alice"],
      ["peer.joined", "bob"],
    ]);
    expect(deliveries[0]?.body.data).toEqual({ room: "hooks", peer_id: "alice", endpoint: "seed" });

    // The receiver fails the next one: it comes again (5 s later) with the same id, and bob's waits behind it.
    failNext = 1;
    alice.close(1000, "bye");
    await expect.poll(() => deliveries.length, { timeout: 5_000 }).toBe(3);
    bob.close(1000, "bye");
    await expect.poll(() => deliveries.length, { timeout: 20_000 }).toBe(5);
    const [failed, retried, last] = deliveries.slice(2);
    expect(failed?.status).toBe(500);
    expect(retried?.id).toBe(failed?.id);
    expect(retried?.body.data).toEqual({ room: "hooks", peer_id: "alice", endpoint: "seed", reason: "goodbye" });
    expect(last?.body.data).toMatchObject({ peer_id: "bob", reason: "goodbye" });
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(4);
  });
});

describe("webhooks through a kill", () => {
  it("keeps what a dead receiver could not take through a SIGKILL, and delivers it after the restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hooks-"));
    const hookPort = await freePort();
    const env = { WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hooks`, WEBHOOK_SECRET: SECRET };
    const first = await startServe({ port: await freePort(), dataDir, env });
    servers.push(first);
    const wsUrl = first.url.replace("http", "ws");
    const alice = await register(await connectWs(`${wsUrl}/rooms/kept`), "alice");
    await register(await connectWs(`${wsUrl}/rooms/kept`), "bob");
    alice.close(1000, "bye");
    // Nobody listens yet: each attempt fails and the events wait in the room's storage.
    await new Promise((r) => setTimeout(r, 1000));
    await first.stop("SIGKILL");
    const deliveries: Delivery[] = [];
    await listen(deliveries, () => 200, hookPort);
    const second = await startServe({ port: await freePort(), dataDir, env });
    servers.push(second);
    // The first retry was due 5 s after the first attempt; the restarted room's alarm brings it.
    await expect.poll(() => deliveries.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const seen = deliveries.map((d) => `${d.body.type} ${d.body.data.peer_id}`);
    expect(seen.slice(0, 3)).toEqual(["peer.joined alice", "peer.joined bob", "peer.left alice"]);
  }, 60_000);
});
