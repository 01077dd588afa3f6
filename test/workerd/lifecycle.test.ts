import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Peers } from "../../src/peers.js";
import { PING_TEXT } from "../../src/protocol.js";
import { readAttachment } from "../../src/socket-state.js";
import { freshRoom, registered, wsConnect } from "./ws-connect.js";

const roomStub = (room: string) => env.Peers.get(env.Peers.idFromName(room));

describe("rooms", () => {
  it("keep the same id apart in two rooms, and never relay across", async () => {
    const [red, blue] = [freshRoom("red"), freshRoom("blue")];
    const aliceRed = await registered("alice", red);
    const aliceBlue = await registered("alice", blue);
    const bobBlue = await registered("bob", blue);
    aliceRed.send({ type: "relay", to: "bob", data: "cross-room" });
    expect(await aliceRed.next()).toMatchObject({ type: "error", code: "unknown_peer" });
    bobBlue.send({ type: "relay", to: "alice", data: "same room" });
    expect(await aliceBlue.next()).toEqual({ type: "relay", from: "bob", data: "same room" });
    expect(aliceRed.received.some((m) => m.type === "relay")).toBe(false);
  });

  it("remove a peer when its socket closes", async () => {
    const room = freshRoom("cleanup");
    const watcher = await registered("watcher", room, { presence: true });
    const leaver = await registered("leaver", room);
    expect(await watcher.next()).toMatchObject({ type: "peer_joined", peer_id: "leaver" });
    leaver.close();
    expect(await watcher.next()).toMatchObject({ type: "peer_left", peer_id: "leaver" });
    watcher.send({ type: "relay", to: "leaver", data: 1 });
    expect(await watcher.next()).toMatchObject({ code: "unknown_peer" });
  });

  it("answer the client's close frame, so the client does not hang in CLOSING", async () => {
    const socket = await registered("closer", freshRoom("close"));
    socket.close(4001, "bye");
    expect(await socket.closed()).toBe(4001);
  });
});

describe("hibernation and eviction", () => {
  it("a fresh object instance, as after a wake, still serves the old registrations", async () => {
    const room = freshRoom("wake");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room, { presence: true });

    await runInDurableObject(roomStub(room), (_old: Peers, state) => {
      // What the runtime does after hibernation or eviction: a new instance over the same sockets.
      const fresh = new Peers(state, env);
      const aliceSocket = state.getWebSockets().find((ws) => readAttachment(ws)?.peerId === "alice");
      if (!aliceSocket) throw new Error("alice's socket has no registration in its attachment");
      expect(readAttachment(aliceSocket)).toEqual({ room, peerId: "alice", presence: false });
      fresh.webSocketMessage(aliceSocket, JSON.stringify({ type: "relay", to: "bob", data: "after wake" }));
      fresh.webSocketMessage(aliceSocket, JSON.stringify({ type: "list_peers" }));
    });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "after wake" });
    expect(await alice.next()).toMatchObject({ type: "peers", peers: ["bob"] });
  });

  it("the presence revision never goes backwards across a fresh instance", async () => {
    const room = freshRoom("wake-rev");
    const watcher = await registered("watcher", room, { presence: true });
    await registered("first", room);
    const before = await watcher.next();
    if (before.type !== "peer_joined") throw new Error(`expected peer_joined, got ${before.type}`);

    await runInDurableObject(roomStub(room), (_old: Peers, state) => {
      const fresh = new Peers(state, env);
      const watcherSocket = state.getWebSockets().find((ws) => readAttachment(ws)?.peerId === "watcher");
      if (!watcherSocket) throw new Error("no watcher socket");
      fresh.webSocketMessage(watcherSocket, JSON.stringify({ type: "list_peers" }));
    });
    const after = await watcher.next();
    expect(after).toMatchObject({ type: "peers", peers: ["first"] });
    expect(after.type === "peers" && after.rev).toBeGreaterThanOrEqual(before.rev);
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

  it("answers a ping carrying a request_id itself, echoing it", async () => {
    const socket = await wsConnect(`/rooms/${freshRoom("ping")}`);
    socket.send({ type: "ping", request_id: "k1" });
    expect(await socket.next()).toEqual({ type: "pong", request_id: "k1" });
  });
});
