import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Peers } from "../../src/cloudflare/objects.js";
import { freshRoom, registerEventually, registered, wsConnect } from "../workerd/ws-connect.js";

// This project runs with MAX_PEERS_PER_ROOM = 3 and REGISTER_TIMEOUT_SECONDS = 1 (see vitest.config.ts).
describe("room_full", () => {
  it("turns away a connection past the room's limit with room_full and close 1013", async () => {
    const room = freshRoom("full");
    await Promise.all(["a", "b", "c"].map((id) => registered(id, room)));
    const late = await wsConnect(`/rooms/${room}`);
    expect(await late.next()).toMatchObject({ type: "error", code: "room_full" });
    expect(await late.closed()).toBe(1013);
  });

  it("makes room again when a peer leaves", async () => {
    const room = freshRoom("full");
    const peers = await Promise.all(["a", "b", "c"].map((id) => registered(id, room)));
    peers[0]?.close();
    await peers[0]?.closed();
    await registerEventually("d", room, "room_full");
  });

  // Regression: one client held a room with sockets that never registered; everyone else got room_full.
  it("closes sockets that never registered, once late, to let a newcomer in", async () => {
    const room = freshRoom("lurkers");
    const lurkers = await Promise.all([0, 1, 2].map(() => wsConnect(`/rooms/${room}`)));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const newcomer = await registered("newcomer", room);
    expect(newcomer.received[0]).toMatchObject({ type: "registered" });
    expect(await lurkers[0]?.closed()).toBe(4004);
  });

  // Regression: a fresh instance (what a wake makes) gave every socket that never registered a fresh opening time,
  // so a room held full by idle sockets stayed full through every wake.
  it("closes them after a wake too, with the time they opened kept in their attachments", async () => {
    const room = freshRoom("woken");
    const lurkers = await Promise.all([0, 1, 2].map(() => wsConnect(`/rooms/${room}`)));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const stub = env.Peers.get(env.Peers.idFromName(room));
    const status = await runInDurableObject(stub, async (_old: Peers, state) => {
      const fresh = new Peers(state, env);
      const response = await fresh.fetch(
        new Request(`http://signal.test/rooms/${room}`, { headers: { Upgrade: "websocket" } }),
      );
      response.webSocket?.accept();
      response.webSocket?.close(1000, "done");
      return response.status;
    });
    expect(status).toBe(101);
    expect(await Promise.all(lurkers.map((l) => l.closed()))).toEqual([4004, 4004, 4004]);
  });
});
