import { describe, expect, it } from "vitest";
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
});
