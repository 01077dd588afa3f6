import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { WebhookConfig } from "../config/config.js";
import { decodeWebhookSecret } from "../config/config.js";
import { Meter } from "../metrics/meter.js";
import { BACKOFF_MS, MAX_PENDING, Outbox, type OutboxStore, type PendingWebhook } from "./outbox.js";
import { signWebhook } from "./sign.js";

const START = Date.now();
const SECRET = `whsec_${btoa("0123456789abcdef0123456789abcdef")}`;

function config(maxAttempts = 3): WebhookConfig {
  return {
    url: "https://hooks.example/in",
    key: decodeWebhookSecret(SECRET) as Uint8Array,
    events: new Set(["peer.joined", "peer.left"]),
    maxAttempts,
  };
}

function memoryStore(): OutboxStore & { rows: PendingWebhook[] } {
  const rows: PendingWebhook[] = [];
  return {
    rows,
    add: (w) => rows.push({ ...w }),
    head: () => rows[0],
    count: () => rows.length,
    remove: (id) => {
      const i = rows.findIndex((r) => r.id === id);
      if (i >= 0) rows.splice(i, 1);
    },
    retry: (id, attempts, due) => {
      const row = rows.find((r) => r.id === id);
      if (row) Object.assign(row, { attempts, due });
    },
  };
}

interface Sent {
  headers: Record<string, string>;
  body: string;
}

function harness(answer: (n: number) => number | Error, maxAttempts = 3) {
  let now = START;
  const sent: Sent[] = [];
  const scheduled: Array<number | undefined> = [];
  const store = memoryStore();
  const meter = new Meter();
  const outbox = new Outbox({
    config: config(maxAttempts),
    store,
    now: () => now,
    schedule: (at) => scheduled.push(at),
    meter,
    log: () => {},
    fetch: (async (_url: string, init: { headers: Record<string, string>; body: string }) => {
      sent.push({ headers: init.headers, body: init.body });
      const status = answer(sent.length);
      if (status instanceof Error) throw status;
      return new Response(null, { status });
    }) as never,
  });
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  };
  return { outbox, store, sent, scheduled, meter, settle, advance: (ms: number) => (now += ms) };
}

const joined = (peerId: string) => ({ type: "peer.joined" as const, room: "r", peerId, endpoint: "seed" });

describe("signWebhook", () => {
  it("signs so that the standardwebhooks library verifies it", async () => {
    const body = JSON.stringify({ type: "peer.joined", data: { room: "r" } });
    const seconds = Math.floor(Date.now() / 1000);
    const headers = await signWebhook(decodeWebhookSecret(SECRET) as Uint8Array, "msg_1", seconds, body);
    expect(new Webhook(SECRET).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => new Webhook(SECRET).verify(`${body} `, { ...headers })).toThrow();
  });
});

describe("Outbox", () => {
  it("sends each event once, in order, one at a time, signed, and forgets it on 2xx", async () => {
    const h = harness(() => 204);
    h.outbox.enqueue(joined("a"));
    h.outbox.enqueue(joined("b"));
    h.outbox.enqueue({ type: "peer.left", room: "r", peerId: "a", endpoint: "seed", reason: "goodbye" });
    await h.settle();
    expect(h.sent.map((s) => JSON.parse(s.body).data.peer_id)).toEqual(["a", "b", "a"]);
    const last = JSON.parse(h.sent[2]?.body ?? "{}");
    expect(last).toMatchObject({
      type: "peer.left",
      data: { room: "r", peer_id: "a", endpoint: "seed", reason: "goodbye" },
    });
    expect(typeof last.timestamp).toBe("string");
    for (const s of h.sent) {
      expect(() => new Webhook(SECRET).verify(s.body, s.headers)).not.toThrow();
    }
    expect(h.store.rows).toHaveLength(0);
    expect(h.meter.take()).toEqual({ 'signal_webhooks_total{outcome="delivered"}': 3 });
  });

  it("retries a failure with backoff under the same webhook-id, holding the events after it back", async () => {
    const h = harness((n) => (n === 1 ? 500 : n === 2 ? new Error("unreachable") : 200));
    h.outbox.enqueue(joined("a"));
    h.outbox.enqueue(joined("b"));
    await h.settle();
    expect(h.sent).toHaveLength(1);
    expect(h.scheduled.at(-1)).toBe(START + (BACKOFF_MS[0] as number));
    h.advance(BACKOFF_MS[0] as number);
    h.outbox.woke();
    await h.settle();
    expect(h.sent).toHaveLength(2);
    expect(h.scheduled.at(-1)).toBe(START + (BACKOFF_MS[0] as number) + (BACKOFF_MS[1] as number));
    h.advance(BACKOFF_MS[1] as number);
    h.outbox.woke();
    await h.settle();
    const ids = h.sent.map((s) => s.headers["webhook-id"]);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[1]).toBe(ids[2]);
    expect(h.sent.map((s) => JSON.parse(s.body).data.peer_id)).toEqual(["a", "a", "a", "b"]);
    // Each attempt is signed anew, with its own timestamp.
    expect(Number(h.sent[2]?.headers["webhook-timestamp"])).toBeGreaterThan(
      Number(h.sent[0]?.headers["webhook-timestamp"]),
    );
    expect(h.store.rows).toHaveLength(0);
  });

  it("drops an event after WEBHOOK_MAX_ATTEMPTS and goes on with the next", async () => {
    const h = harness((n) => (n <= 2 ? 503 : 200), 2);
    h.outbox.enqueue(joined("a"));
    h.outbox.enqueue(joined("b"));
    await h.settle();
    h.advance(BACKOFF_MS[0] as number);
    h.outbox.woke();
    await h.settle();
    expect(h.sent.map((s) => JSON.parse(s.body).data.peer_id)).toEqual(["a", "a", "b"]);
    expect(h.meter.take()).toEqual({
      'signal_webhooks_total{outcome="failed"}': 2,
      'signal_webhooks_total{outcome="dropped"}': 1,
      'signal_webhooks_total{outcome="delivered"}': 1,
    });
  });

  it("keeps at most MAX_PENDING waiting for a dead receiver, in storage, and counts what it turns away", async () => {
    const h = harness(() => 500);
    for (let i = 0; i < MAX_PENDING + 5; i++) h.outbox.enqueue(joined(`p${i}`));
    await h.settle();
    expect(h.store.rows).toHaveLength(MAX_PENDING);
    expect(h.sent).toHaveLength(1);
    expect(h.meter.take()['signal_webhooks_total{outcome="dropped"}']).toBe(5);
  });

  it("sends only the events WEBHOOK_EVENTS names", async () => {
    const h = harness(() => 200);
    const only = new Outbox({
      config: { ...config(), events: new Set(["peer.left"]) },
      store: h.store,
      now: Date.now,
      schedule: () => {},
      meter: h.meter,
      log: () => {},
      fetch: (async () => new Response(null, { status: 200 })) as never,
    });
    only.enqueue(joined("a"));
    expect(h.store.rows).toHaveLength(0);
  });
});
