/**
 * `/metrics` and the admin routes on a server that reports (ADMIN_TOKEN, METRICS = on, a 1 s interval and one
 * allowed origin; see vitest.config.ts): every room's figures in one scrape, without a request to any room.
 */
import { exports } from "cloudflare:workers";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { freshRoom, registered, wsConnect } from "../workerd/ws-connect.js";

const ADMIN = { Authorization: "Bearer an-admin-token-of-at-least-32-characters" };

function fetchWorker(path: string, headers: Record<string, string> = {}) {
  return exports.default.fetch(`http://signal.test${path}`, { headers });
}

async function scrape(): Promise<
  Map<string, { type: string; metrics: Array<{ value?: string; labels?: Record<string, string> }> }>
> {
  const response = await fetchWorker("/metrics", ADMIN);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return new Map(parsePrometheusTextFormat(await response.text()).map((f) => [f.name, f as never]));
}

async function figure(name: string, labels: Record<string, string>): Promise<number> {
  const family = (await scrape()).get(name);
  const metric = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return Number(metric?.value ?? 0);
}

async function nextOf(socket: Awaited<ReturnType<typeof wsConnect>>, type: string) {
  for (;;) {
    const message = await socket.next();
    if (message.type === type) return message;
  }
}

describe("GET /metrics", () => {
  it("needs the admin token", async () => {
    expect((await fetchWorker("/metrics")).status).toBe(401);
    const wrong = { Authorization: "Bearer an-admin-token-guess-of-at-least-32-chars" };
    expect((await fetchWorker("/metrics", wrong)).status).toBe(401);
  });

  it("counts connections, peers and rooms across rooms, and lets them go when the rooms empty", async () => {
    const before = await figure("signal_connections", { endpoint: "seed" });
    const rooms = [freshRoom("m1"), freshRoom("m2")];
    const alice = await registered("alice", rooms[0] as string);
    const bob = await registered("bob", rooms[0] as string);
    const carol = await registered("carol", rooms[1] as string);
    await expect.poll(() => figure("signal_connections", { endpoint: "seed" }), { timeout: 5000 }).toBe(before + 3);
    expect(await figure("signal_rooms", { endpoint: "seed" })).toBeGreaterThanOrEqual(2);
    for (const socket of [alice, bob, carol]) socket.close(1000, "bye");
    await expect.poll(() => figure("signal_connections", { endpoint: "seed" }), { timeout: 5000 }).toBe(before);
  });

  it("counts messages, relays delivered and undeliverable, and errors by code", async () => {
    const room = freshRoom("m3");
    const delivered = await figure("signal_relays_total", { endpoint: "seed", outcome: "delivered" });
    const unknown = await figure("signal_errors_total", { endpoint: "seed", code: "unknown_peer" });
    const received = await figure("signal_messages_received_total", { endpoint: "seed" });
    const alice = await registered("alice", room);
    const bob = await registered("bob", room);
    alice.send({ type: "relay", to: "bob", data: { n: 1 } });
    await nextOf(bob, "relay");
    alice.send({ type: "relay", to: "nobody", data: {} });
    await nextOf(alice, "error");
    await expect
      .poll(() => figure("signal_relays_total", { endpoint: "seed", outcome: "delivered" }), { timeout: 5000 })
      .toBe(delivered + 1);
    expect(await figure("signal_relays_total", { endpoint: "seed", outcome: "undeliverable" })).toBeGreaterThanOrEqual(
      1,
    );
    expect(await figure("signal_errors_total", { endpoint: "seed", code: "unknown_peer" })).toBe(unknown + 1);
    expect(await figure("signal_messages_received_total", { endpoint: "seed" })).toBeGreaterThanOrEqual(received + 4);
    alice.close(1000, "bye");
    bob.close(1000, "bye");
  });

  it("counts the Worker's own refusals, by endpoint and reason", async () => {
    const origin = () => figure("signal_refusals_total", { endpoint: "y-webrtc", reason: "origin" });
    const before = await origin();
    const refused = await exports.default.fetch("http://signal.test/y-webrtc/ns", {
      headers: { Upgrade: "websocket", Origin: "https://evil.example" },
    });
    expect(refused.status).toBe(403);
    // Reported with the next request after the interval (a Worker has no alarm).
    await expect
      .poll(
        async () => {
          await fetchWorker("/health");
          return origin();
        },
        { timeout: 5000, interval: 300 },
      )
      .toBe(before + 1);
  });

  it("has every endpoint's gauges, even at zero, with HELP and TYPE", async () => {
    const families = await scrape();
    for (const name of ["signal_connections", "signal_peers", "signal_rooms"]) {
      expect(families.get(name)?.type).toBe("GAUGE");
      const endpoints = families.get(name)?.metrics.map((m) => m.labels?.endpoint);
      expect(endpoints).toEqual(expect.arrayContaining(["seed", "y-webrtc", "peerjs", "webtorrent", "lobby"]));
    }
    expect(families.get("signal_messages_sent_total")?.type).toBe("COUNTER");
  });
});

describe("the admin page", () => {
  it("serves the page, and its data only with the token", async () => {
    const page = await fetchWorker("/admin");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Admin token");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect((await fetchWorker("/admin/overview")).status).toBe(401);
    const socket = await wsConnect(`/rooms/${freshRoom("page")}`);
    socket.send({ type: "register", peer_id: "alice" });
    await socket.next();
    await expect
      .poll(
        async () => {
          const view = (await (await fetchWorker("/admin/overview", ADMIN)).json()) as {
            rooms: Array<{ room: string }>;
          };
          return view.rooms.some((r) => r.room.startsWith("page"));
        },
        { timeout: 5000 },
      )
      .toBe(true);
    socket.close(1000, "bye");
  });
});
