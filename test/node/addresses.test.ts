/**
 * Where a client comes from, on the hosts users run outside Cloudflare, with the per-address limits on.
 *
 * Regressions: `npm run serve` saw no client address at all, so every per-address limit was skipped (reconnecting
 * evaded the rate limit: 18,600 relays/s to one victim); and it and `npm start` believed a `CF-Connecting-IP` the
 * client sent itself (the caps bypassed 120 times of 120).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, freshRoom } from "../../tools/test-socket.js";

const LIMITS = { MAX_CONNECTIONS_PER_IP: "2", NEW_CONNECTIONS_PER_IP_PER_MINUTE: "6" };
const servers: DevServer[] = [];
afterAll(async () => {
  closeAll();
  await Promise.all(servers.map((s) => s.stop()));
});

/** Opens a socket with `headers`; resolves with the HTTP status that refused it, or 101 with the socket. */
function open(url: string, headers: Record<string, string> = {}): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, headers });
    ws.once("open", () => resolve({ status: 101, ws }));
    ws.once("unexpected-response", (_request, response) => resolve({ status: response.statusCode ?? 0 }));
    ws.once("error", reject);
  });
}

describe("npm run serve behind a proxy that sets X-Forwarded-For", () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startNpmServer("npm run serve", { env: { ...LIMITS, CLIENT_ADDRESS_HEADER: "X-Forwarded-For" } });
    servers.push(server);
  }, 100_000);
  // The proxy appends the address it saw; whatever the client wrote before it is the client's own say-so.
  const from = (address: string) => ({ "X-Forwarded-For": `6.6.6.6, ${address}`, "CF-Connecting-IP": "7.7.7.7" });

  it("caps one address's connections in a room while another address gets in", async () => {
    const url = `${server.wsUrl}/rooms/${freshRoom("capped")}`;
    expect((await open(url, from("198.51.100.1"))).status).toBe(101);
    expect((await open(url, from("198.51.100.1"))).status).toBe(101);
    expect((await open(url, from("198.51.100.1"))).status).toBe(429);
    expect((await open(url, from("198.51.100.2"))).status).toBe(101);
  });

  it("caps one address's new connections per minute across rooms while another address gets in", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const opened = await open(`${server.wsUrl}/rooms/${freshRoom("minute")}`, from("198.51.100.3"));
      statuses.push(opened.status);
      opened.ws?.close();
    }
    expect(statuses).toEqual([101, 101, 101, 101, 101, 101, 429]);
    expect((await open(`${server.wsUrl}/rooms/${freshRoom("minute")}`, from("198.51.100.4"))).status).toBe(101);
  });
});

describe("npm run serve with no proxy", () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startNpmServer("npm run serve", { env: LIMITS });
    servers.push(server);
  }, 100_000);

  it("caps by the TCP peer's address, whatever CF-Connecting-IP the client sends", async () => {
    const url = `${server.wsUrl}/rooms/${freshRoom("spoof")}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await open(url, { "CF-Connecting-IP": `203.0.113.${i}` })).status);
    expect(statuses).toEqual([101, 101, 429]);
  });
});

describe("npm start with CLIENT_ADDRESS_HEADER", () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startNpmServer("npm start", { env: { ...LIMITS, CLIENT_ADDRESS_HEADER: "X-Real-IP" } });
    servers.push(server);
  }, 100_000);

  it("believes that header alone, never the client's own CF-Connecting-IP", async () => {
    const url = `${server.wsUrl}/rooms/${freshRoom("dev")}`;
    const headers = (i: number) => ({ "X-Real-IP": "198.51.100.9", "CF-Connecting-IP": `203.0.113.${i}` });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await open(url, headers(i))).status);
    expect(statuses).toEqual([101, 101, 429]);
  });
});
