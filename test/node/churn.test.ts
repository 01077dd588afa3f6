/** Thousands of connect, register and leave cycles, a quarter of them dropped, against workerd directly. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { closeAll, register } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

describe("churn", () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { RESUME_GRACE_SECONDS: "1", MAX_PEERS_PER_ROOM: "60" } });
  });
  afterAll(async () => {
    closeAll();
    await worker.dispose();
  });

  it("leaves nothing behind: the peer list empties and the room fills to exactly its limit again", async () => {
    const url = `${worker.wsUrl}/rooms/churn`;
    for (let round = 0; round < 60; round++) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => register(await connectWs(url), `peer-${round}-${i}`)),
      );
      for (const [i, socket] of batch.entries()) {
        if (i % 4 === 0) socket.drop();
        else socket.close(1000, "churn");
      }
      await Promise.all(batch.map((socket) => socket.closed()));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the grace period
    const observer = await connectWs(url);
    await expect
      .poll(async () => {
        observer.send({ type: "list_peers" });
        return observer.next();
      })
      .toMatchObject({ type: "peers", peers: [] });
    observer.close();
    await observer.closed();

    const full = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => register(await connectWs(url), `final-${i}`)),
    );
    expect(full).toHaveLength(60);
    const late = await connectWs(url);
    expect(await late.next()).toMatchObject({ type: "error", code: "room_full" });
  }, 90_000);
});
