/**
 * Ordering is tested against workerd through Miniflare rather than inside the Vitest pool: the pool wraps each
 * Durable Object handler in an async function, which lets the first few messages of a burst overtake each other
 * in the test harness though never in the runtime itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { registeredAt, waitFor } from "./ws-client.js";

describe("relay ordering with the rate limit raised", () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { RATE_LIMIT_PER_SECOND: "100000", RATE_LIMIT_BURST: "100000" } });
  });
  afterAll(() => worker.dispose());

  it("delivers 1,000 relays complete and in order", async () => {
    const alice = await registeredAt(`${worker.wsUrl}/rooms/order`, "alice");
    const bob = await registeredAt(`${worker.wsUrl}/rooms/order`, "bob");
    for (let i = 0; i < 1_000; i++) alice.send({ type: "relay", to: "bob", data: { seq: i } });
    await waitFor(() => bob.received.length === 1 + 1_000, "1,000 relays");
    const seqs = bob.received.slice(1).map((m) => (m.type === "relay" ? (m.data as { seq: number }).seq : -1));
    expect(seqs).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(alice.received.slice(1)).toEqual([]);
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe("relay ordering under the default rate limit", () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker();
  });
  afterAll(() => worker.dispose());

  it("delivers an instant burst in order, answering each relay over the limit with rate_limited", async () => {
    const alice = await registeredAt(`${worker.wsUrl}/rooms/burst`, "alice");
    const bob = await registeredAt(`${worker.wsUrl}/rooms/burst`, "bob");
    const total = 1_000;
    for (let i = 0; i < total; i++) alice.send({ type: "relay", to: "bob", data: i, request_id: `r${i}` });

    const delivered = () => bob.received.slice(1);
    const refused = () => alice.received.slice(1);
    await waitFor(() => delivered().length + refused().length === total, `${total} relays delivered or refused`);

    const seqs = delivered().map((m) => (m.type === "relay" ? (m.data as number) : -1));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.length).toBeGreaterThanOrEqual(200);
    expect(refused().every((m) => m.type === "error" && m.code === "rate_limited")).toBe(true);
    const refusedIds = refused().map((m) => (m.type === "error" ? Number(m.request_id?.slice(1)) : -1));
    expect(new Set([...seqs, ...refusedIds]).size).toBe(total);
    await Promise.all([alice.close(), bob.close()]);
  });
});
