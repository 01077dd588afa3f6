/** What only a Durable Object host has: a fresh instance over the same sockets, and the runtime's auto-response. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readConnectionState } from "../../src/cloudflare/hibernation.js";
import { Peers } from "../../src/cloudflare/room-object.js";
import { PING_TEXT } from "../../src/core/protocol.js";
import { freshRoom, registered, wsConnect } from "./ws-connect.js";

const roomStub = (room: string) => env.Peers.get(env.Peers.idFromName(room));

describe("hibernation and eviction", () => {
  it("a fresh object instance, as after a wake, still serves the old registrations", async () => {
    const room = freshRoom("wake");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room, { presence: true });

    await runInDurableObject(roomStub(room), (_old: Peers, state) => {
      // What the runtime does after hibernation or eviction: a new instance over the same sockets.
      const fresh = new Peers(state, env);
      const aliceSocket = state.getWebSockets().find((ws) => readConnectionState(ws)?.peerId === "alice");
      if (!aliceSocket) throw new Error("alice's socket has no registration in its attachment");
      expect(readConnectionState(aliceSocket)).toEqual({
        room,
        peerId: "alice",
        presence: false,
        token: expect.any(String),
      });
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
      const watcherSocket = state.getWebSockets().find((ws) => readConnectionState(ws)?.peerId === "watcher");
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
});
