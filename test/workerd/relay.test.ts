import { describe, expect, it } from "vitest";
import { freshRoom, registered, wsConnect } from "./ws-connect.js";

describe("relay", () => {
  it("delivers data unchanged, stamped with the sender's registered id", async () => {
    const room = freshRoom("relay");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room);
    const data = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", n: [1, 2.5, null, true], s: "é ✓ 🎉" };
    alice.send({ type: "relay", to: "bob", data, from: "mallory" });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data });
  });

  it("refuses a relay from an unregistered socket with not_registered", async () => {
    const room = freshRoom("relay");
    await registered("bob", room);
    const anonymous = await wsConnect(`/rooms/${room}`);
    anonymous.send({ type: "relay", to: "bob", data: 1, request_id: "q" });
    expect(await anonymous.next()).toMatchObject({ type: "error", code: "not_registered", request_id: "q" });
  });

  it("refuses a relay to a peer not in the room with unknown_peer", async () => {
    const alice = await registered("alice", freshRoom("relay"));
    alice.send({ type: "relay", to: "ghost", data: 1 });
    expect(await alice.next()).toMatchObject({ type: "error", code: "unknown_peer" });
  });
});

describe("many peers", () => {
  it("serves 100 peers connecting at once, relaying in a ring", async () => {
    const room = freshRoom("ring");
    const count = 100;
    const ids = Array.from({ length: count }, (_, i) => `p${i}`);
    const peers = await Promise.all(ids.map((id) => registered(id, room)));
    for (const [i, peer] of peers.entries()) peer.send({ type: "relay", to: ids[(i + 1) % count], data: { hop: i } });
    const messages = await Promise.all(peers.map((peer) => peer.next()));
    messages.forEach((message, i) => {
      const previous = (i + count - 1) % count;
      expect(message).toEqual({ type: "relay", from: ids[previous], data: { hop: previous } });
    });
    peers[0]?.send({ type: "list_peers" });
    expect(await peers[0]?.next()).toMatchObject({ peers: expect.arrayContaining(ids.slice(1)) });
  });
});
