/**
 * Ordering with the rate limit raised, against workerd through Miniflare rather than inside the Vitest pool: the
 * pool wraps each Durable Object handler in an async function, which lets the first few messages of a burst
 * overtake each other in the test harness though never in the runtime itself. (Ordering under the default rate
 * is in the conformance suite.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { closeAll, register, waitFor } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

describe("relay ordering with the rate limit raised", () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { RATE_LIMIT_PER_SECOND: "100000", RATE_LIMIT_BURST: "100000" } });
  });
  afterAll(async () => {
    closeAll();
    await worker.dispose();
  });

  it("delivers 1,000 relays complete and in order", async () => {
    const alice = await register(await connectWs(`${worker.wsUrl}/rooms/order`), "alice");
    const bob = await register(await connectWs(`${worker.wsUrl}/rooms/order`), "bob");
    for (let i = 0; i < 1_000; i++) alice.send({ type: "relay", to: "bob", data: { seq: i } });
    await waitFor(() => bob.received.length === 1 + 1_000, "1,000 relays");
    const seqs = bob.received.slice(1).map((m) => (m.type === "relay" ? (m.data as { seq: number }).seq : -1));
    expect(seqs).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(alice.received.slice(1)).toEqual([]);
  });
});
