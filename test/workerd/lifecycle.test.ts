/** What only a Durable Object host has: a fresh instance over the same sockets, and the runtime's auto-response. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Peers } from "../../src/cloudflare/objects.js";
import { PING_TEXT } from "../../src/core/wire/protocol.js";
import { attachmentOf, freshRoom, peerIdOf, registered, wsConnect } from "./ws-connect.js";

const roomStub = (room: string) => env.Peers.get(env.Peers.idFromName(room));

describe("hibernation and eviction", () => {
  it("a fresh object instance, as after a wake, still serves the old registrations", async () => {
    const room = freshRoom("wake");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room, { presence: true });

    await runInDurableObject(roomStub(room), (_old: Peers, state) => {
      // What the runtime does after hibernation or eviction: a new instance over the same sockets.
      const fresh = new Peers(state, env);
      const aliceSocket = state.getWebSockets().find((ws) => peerIdOf(ws) === "alice");
      if (!aliceSocket) throw new Error("alice's socket has no registration in its attachment");
      expect(attachmentOf(aliceSocket)).toEqual({
        v: 1,
        name: room,
        opened: expect.any(Number),
        state: { peerId: "alice", presence: false, token: expect.any(String), seq: expect.any(Number) },
      });
      fresh.webSocketMessage(aliceSocket, JSON.stringify({ type: "relay", to: "bob", data: "after wake" }));
      fresh.webSocketMessage(aliceSocket, JSON.stringify({ type: "list_peers" }));
    });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "after wake", seq: expect.any(Number) });
    expect(await alice.next()).toMatchObject({ type: "peers", peers: ["bob"] });
  });

  it("a fresh instance still lists each peer's meta, from the attachments and from a held id's row", async () => {
    const room = freshRoom("wake-meta");
    await registered("alice", room, { meta: { name: "Alice" } });
    const bob = await registered("bob", room, { meta: { name: "Bob" } });
    const carol = await registered("carol", room);
    bob.drop();
    await bob.closed();
    await runInDurableObject(roomStub(room), (_old: Peers, state) => {
      const fresh = new Peers(state, env);
      const carolSocket = state.getWebSockets().find((ws) => peerIdOf(ws) === "carol");
      if (!carolSocket) throw new Error("carol's socket has no registration in its attachment");
      fresh.webSocketMessage(carolSocket, JSON.stringify({ type: "list_peers", with_meta: true }));
    });
    expect(await carol.next()).toMatchObject({
      type: "peers",
      peers: expect.arrayContaining(["alice", "bob"]),
      peer_meta: { alice: { name: "Alice" }, bob: { name: "Bob" } },
    });
  });

  it("the presence revision never goes backwards across a fresh instance", async () => {
    const room = freshRoom("wake-rev");
    const watcher = await registered("watcher", room, { presence: true });
    await registered("first", room);
    const before = await watcher.next();
    if (before.type !== "peer_joined") throw new Error(`expected peer_joined, got ${before.type}`);

    await runInDurableObject(roomStub(room), (_old: Peers, state) => {
      const fresh = new Peers(state, env);
      const watcherSocket = state.getWebSockets().find((ws) => peerIdOf(ws) === "watcher");
      if (!watcherSocket) throw new Error("no watcher socket");
      fresh.webSocketMessage(watcherSocket, JSON.stringify({ type: "list_peers" }));
    });
    const after = await watcher.next();
    expect(after).toMatchObject({ type: "peers", peers: ["first"] });
    expect(after.type === "peers" && after.rev).toBeGreaterThanOrEqual(before.rev);
  });
});

describe("eviction", () => {
  it("a fresh instance over the same storage still has the reservations and the mailbox", async () => {
    const room = freshRoom("evict");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room);
    const token = bob.received[0]?.type === "registered" ? bob.received[0].resume_token : "";
    bob.close(4000, "network switch"); // not a goodbye: bob's id is held
    await bob.closed();
    alice.send({ type: "relay", to: "bob", data: "kept before" });
    const back = await wsConnect(`/rooms/${room}`);

    await runInDurableObject(roomStub(room), (_old: Peers, state) => {
      // An evicted object starts again from storage and sockets alone.
      const fresh = new Peers(state, env);
      const aliceSocket = state.getWebSockets().find((ws) => peerIdOf(ws) === "alice");
      const backSocket = state.getWebSockets().find((ws) => attachmentOf(ws)?.state === undefined);
      if (!aliceSocket || !backSocket) throw new Error("sockets not found");
      fresh.webSocketMessage(aliceSocket, JSON.stringify({ type: "relay", to: "bob", data: "kept after" }));
      fresh.webSocketMessage(backSocket, JSON.stringify({ type: "register", peer_id: "bob", resume_token: token }));
    });
    expect(await back.next()).toMatchObject({ type: "registered", peer_id: "bob", resumed: true });
    expect(await back.next()).toEqual({ type: "relay", from: "alice", data: "kept before", seq: expect.any(Number) });
    expect(await back.next()).toEqual({ type: "relay", from: "alice", data: "kept after", seq: expect.any(Number) });
    expect(alice.received.filter((m) => m.type === "error")).toEqual([]);
  });
});

describe("keepalive", () => {
  it("answers the exact ping text through the runtime's auto-response, without waking the object", async () => {
    const room = freshRoom("ping");
    const socket = await wsConnect(`/rooms/${room}`);
    socket.sendRaw(PING_TEXT);
    expect(await socket.next()).toEqual({ type: "pong" });
    const answeredByRuntime = await runInDurableObject(roomStub(room), (_instance: Peers, state) =>
      state.getWebSockets().map((ws) => state.getWebSocketAutoResponseTimestamp(ws) !== null),
    );
    expect(answeredByRuntime).toEqual([true]);
  });
});

describe("connections the server closed", () => {
  // The room's connection count once included sockets already closed by the server, which stay in getWebSockets()
  // until their client answers the Close frame (the memory host shows the lingering case: front.test.ts).
  it("are counted out with the runtime's open sockets and the room's own count agreeing", async () => {
    const room = freshRoom("closing");
    const old = await registered("alice", room);
    const token = old.received[0]?.type === "registered" ? old.received[0].resume_token : "";
    const fresh = await wsConnect(`/rooms/${room}`);
    fresh.send({ type: "register", peer_id: "alice", resume_token: token });
    expect(await fresh.next()).toMatchObject({ type: "registered", resumed: true });
    const counted = await runInDurableObject(roomStub(room), (instance: Peers, state) => ({
      sockets: state.getWebSockets().length,
      open: state.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length,
      stats: instance.stats().connections,
    }));
    expect(counted.open).toBe(1);
    expect(counted.stats).toBe(1);
  });
});

describe("storage written by an older version", () => {
  it("gets the columns this one reads, and its reservations resume", async () => {
    const room = freshRoom("old-schema");
    const alice = await registered("alice", room);
    const back = await wsConnect(`/rooms/${room}`);
    await runInDurableObject(roomStub(room), (_instance: Peers, state) => {
      // The tables as the version before numbered relays made them, with a reservation for bob in them.
      state.storage.sql.exec(
        `CREATE TABLE reservations (peer_id TEXT PRIMARY KEY, token TEXT NOT NULL, presence INTEGER NOT NULL,
           until INTEGER NOT NULL);
         CREATE TABLE mailbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, to_peer TEXT NOT NULL, from_peer TEXT NOT NULL,
           data TEXT NOT NULL, bytes INTEGER NOT NULL, sent_seq INTEGER);`,
      );
      state.storage.sql.exec("INSERT INTO reservations VALUES ('bob', 'old-token', 0, ?)", Date.now() + 60_000);
      state.storage.sql.exec("INSERT INTO mailbox (to_peer, from_peer, data, bytes) VALUES ('bob', 'alice', '1', 1)");
      // A fresh instance, as after the deploy that brought the new version.
      const fresh = new Peers(state, env);
      const backSocket = state.getWebSockets().find((ws) => attachmentOf(ws)?.state === undefined);
      if (!backSocket) throw new Error("no socket for bob");
      fresh.webSocketMessage(
        backSocket,
        JSON.stringify({ type: "register", peer_id: "bob", resume_token: "old-token" }),
      );
    });
    expect(await back.next()).toMatchObject({ type: "registered", resumed: true, acked: 0, recovered: false });
    expect(await back.next()).toEqual({ type: "relay", from: "alice", data: 1, seq: expect.any(Number) });
    alice.close();
  });
});
