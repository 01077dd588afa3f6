/**
 * Reservations across a real hibernation, on the self-hosted server: workerd evicts an idle object after about
 * 10 s, and the room must come back from its sockets and SQLite alone, woken by a resume or by its own alarm.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, register, waitFor } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

let server: DevServer;
beforeAll(async () => {
  server = await startNpmServer("npm run serve", { env: { RESUME_GRACE_SECONDS: "15" } });
}, 100_000);
afterAll(async () => {
  closeAll();
  await server?.stop();
});

const wakes = () => (server.output().match(/"event":"room_woke"/g) ?? []).length;

describe("reservations across hibernation", () => {
  it("lists, resumes with kept relays, and ends an expired reservation by alarm after the room slept", async () => {
    const url = `${server.wsUrl}/rooms/sleepy`;
    const alice = await register(await connectWs(url), "alice");
    const watcher = await register(await connectWs(url), "watcher", { presence: true });
    const bob = await register(await connectWs(url), "bob");
    const carol = await register(await connectWs(url), "carol");
    const bobToken = bob.received[0]?.type === "registered" ? bob.received[0].resume_token : "";
    bob.drop();
    carol.drop();
    await bob.closed();
    await carol.closed();
    const droppedAt = Date.now();
    alice.send({ type: "relay", to: "bob", data: 1 });
    alice.send({ type: "relay", to: "bob", data: 2 });
    alice.send({ type: "relay", to: "carol", data: 3 });

    const wokeBefore = wakes();
    await new Promise((resolve) => setTimeout(resolve, 11_000)); // idle: the object hibernates
    alice.send({ type: "list_peers" });
    expect(await alice.next()).toMatchObject({
      type: "peers",
      peers: expect.arrayContaining(["watcher", "bob", "carol"]),
    });
    await server.waitForOutput(() => wakes() > wokeBefore, "the room to wake from hibernation");

    const back = await connectWs(url);
    back.send({ type: "register", peer_id: "bob", resume_token: bobToken });
    expect(await back.next()).toMatchObject({ type: "registered", peer_id: "bob", resumed: true });
    expect(await back.next()).toEqual({ type: "relay", from: "alice", data: 1, seq: expect.any(Number) });
    expect(await back.next()).toEqual({ type: "relay", from: "alice", data: 2, seq: expect.any(Number) });

    // Carol's reservation runs out 15 s after her drop: the alarm wakes the room to tell alice and the watcher.
    await waitFor(
      () => alice.received.some((m) => m.type === "error" && m.code === "undeliverable"),
      "undeliverable for carol",
      20_000 - (Date.now() - droppedAt) + 10_000,
    );
    expect(alice.received.find((m) => m.type === "error")).toMatchObject({ to: "carol", count: 1 });
    await waitFor(() => watcher.received.some((m) => m.type === "peer_left"), "peer_left for carol");
    expect(watcher.received.filter((m) => m.type === "peer_left").map((m) => "peer_id" in m && m.peer_id)).toEqual([
      "carol",
    ]);
  }, 60_000);
});
