/** The PeerJS endpoint through the Worker, as PeerJS 1.5 calls it. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { freshRoom } from "../../tools/test-socket.js";
import { wsConnect } from "./ws-connect.js";

const peer = (key: string, id: string, token = `${id}-token`) =>
  wsConnect(`/peerjs/peerjs?key=${key}&id=${encodeURIComponent(id)}&token=${token}&version=1.5.5`);

describe("the PeerJS endpoint", () => {
  it("opens on connect and relays between two peers of one key, ids with spaces included", async () => {
    const key = freshRoom("pj");
    const alice = await peer(key, "alice smith");
    expect(await alice.next()).toEqual({ type: "OPEN" });
    const bob = await peer(key, "bob");
    expect(await bob.next()).toEqual({ type: "OPEN" });
    alice.send({ type: "OFFER", dst: "bob", payload: { connectionId: "dc_1" } });
    expect(await bob.next()).toEqual({
      type: "OFFER",
      src: "alice smith",
      dst: "bob",
      payload: { connectionId: "dc_1" },
    });
    bob.send({ type: "ANSWER", dst: "alice smith", payload: { connectionId: "dc_1" } });
    expect(await alice.next()).toMatchObject({ type: "ANSWER", src: "bob" });
  });

  // The object itself never answers a heartbeat (PeerJS expects none): an answer can only be the runtime's own.
  it("has PeerJS's heartbeat answered by the runtime, without the object", async () => {
    const alice = await peer(freshRoom("pj"), "alice");
    await alice.next();
    alice.sendRaw('{"type":"HEARTBEAT"}');
    expect(await alice.next()).toEqual({ type: "HEARTBEAT" });
    alice.sendRaw('{ "type": "HEARTBEAT" }');
    alice.sendRaw('{"type":"HEARTBEAT"}');
    expect(await alice.next()).toEqual({ type: "HEARTBEAT" });
    expect(alice.received).toHaveLength(3);
  });

  it("keeps keys apart, and answers ID-TAKEN for another token", async () => {
    const [k1, k2] = [freshRoom("pj"), freshRoom("pj")];
    await (await peer(k1, "alice", "one")).next();
    const other = await peer(k2, "alice", "two");
    expect(await other.next()).toEqual({ type: "OPEN" });
    const thief = await peer(k1, "alice", "two");
    expect(await thief.next()).toEqual({ type: "ID-TAKEN", payload: { msg: "ID is taken" } });
  });

  it("refuses a connection without id or token with the original's ERROR", async () => {
    const socket = await wsConnect(`/peerjs/peerjs?key=${freshRoom("pj")}&id=alice`);
    expect(await socket.next()).toEqual({
      type: "ERROR",
      payload: { msg: "No id, token, or key supplied to websocket server" },
    });
    expect(await socket.closed()).toBe(1000);
  });

  it("hands out fresh ids, and keeps the peer list private unless PEERJS_ALLOW_DISCOVERY is set", async () => {
    const id = await (await exports.default.fetch("http://signal.test/peerjs/peerjs/id?ts=1")).text();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const peers = await exports.default.fetch("http://signal.test/peerjs/peerjs/peers");
    expect(peers.status).toBe(401);
  });
});
