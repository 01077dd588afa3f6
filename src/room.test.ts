import { describe, expect, it } from "vitest";
import type { ClientMessage } from "./protocol.js";
import { Revision } from "./revision.js";
import { type Outbound, Room } from "./room.js";

function newRoom(maxPeersPerRoom = 100) {
  let ceiling = 0;
  const revision = new Revision({
    load: () => ceiling,
    save: (value) => {
      ceiling = value;
    },
  });
  return new Room<string>({ maxPeersPerRoom }, revision);
}

/** Sends `message` as `connection` and returns what went out, as [recipient, message] pairs. */
function act(room: Room<string>, connection: string, message: ClientMessage) {
  return room.handle(connection, message).map((o: Outbound<string>) => [o.to, o.message] as const);
}

describe("Room", () => {
  it("answers a register with the other peers and the revision", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    expect(act(room, "c2", { type: "register", peer_id: "bob", request_id: "r" })).toEqual([
      ["c2", { type: "registered", peer_id: "bob", peers: ["alice"], rev: 2, request_id: "r" }],
    ]);
  });

  it("treats registering the same id again on the same connection as idempotent", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    expect(act(room, "c1", { type: "register", peer_id: "alice" })).toEqual([
      ["c1", { type: "registered", peer_id: "alice", peers: [], rev: 1 }],
    ]);
    expect(room.peerCount).toBe(1);
  });

  it("refuses a second id on a registered connection", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    expect(act(room, "c1", { type: "register", peer_id: "alice2" })).toMatchObject([
      ["c1", { type: "error", code: "already_registered" }],
    ]);
  });

  it("keeps a taken id with its holder", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    expect(act(room, "c2", { type: "register", peer_id: "alice", request_id: "x" })).toMatchObject([
      ["c2", { type: "error", code: "peer_id_taken", request_id: "x" }],
    ]);
    expect(room.registrationOf("c1")?.peerId).toBe("alice");
    expect(room.registrationOf("c2")).toBeUndefined();
  });

  it("refuses a registration past the room's limit", () => {
    const room = newRoom(2);
    act(room, "c1", { type: "register", peer_id: "a" });
    act(room, "c2", { type: "register", peer_id: "b" });
    expect(act(room, "c3", { type: "register", peer_id: "c" })).toMatchObject([["c3", { code: "room_full" }]]);
  });

  it("lists peers without the caller, also before registering", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    act(room, "c2", { type: "register", peer_id: "bob" });
    expect(act(room, "c1", { type: "list_peers" })).toEqual([["c1", { type: "peers", peers: ["bob"], rev: 2 }]]);
    expect(act(room, "c3", { type: "list_peers" })).toEqual([
      ["c3", { type: "peers", peers: ["alice", "bob"], rev: 2 }],
    ]);
  });

  it("relays data unchanged with the sender's registered id as from", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    act(room, "c2", { type: "register", peer_id: "bob" });
    const data = { sdp: "v=0", nested: [1, null, { a: true }] };
    expect(act(room, "c1", { type: "relay", to: "bob", data })).toEqual([
      ["c2", { type: "relay", from: "alice", data }],
    ]);
  });

  it("refuses a relay from an unregistered connection or to an unknown peer", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    expect(act(room, "c9", { type: "relay", to: "alice", data: 1 })).toMatchObject([
      ["c9", { code: "not_registered" }],
    ]);
    expect(act(room, "c1", { type: "relay", to: "nobody", data: 1, request_id: "q" })).toMatchObject([
      ["c1", { code: "unknown_peer", request_id: "q" }],
    ]);
  });

  it("tells presence subscribers, and only them, of joins and leaves with consecutive revisions", () => {
    const room = newRoom();
    act(room, "w", { type: "register", peer_id: "watcher", presence: true });
    act(room, "q", { type: "register", peer_id: "quiet" });
    expect(act(room, "c1", { type: "register", peer_id: "alice" })).toEqual([
      ["w", { type: "peer_joined", peer_id: "alice", rev: 3 }],
      ["c1", { type: "registered", peer_id: "alice", peers: ["watcher", "quiet"], rev: 3 }],
    ]);
    expect(room.leave("c1").map((o) => [o.to, o.message])).toEqual([
      ["w", { type: "peer_left", peer_id: "alice", rev: 4 }],
    ]);
  });

  it("does not tell a newcomer of its own arrival", () => {
    const room = newRoom();
    const out = act(room, "c1", { type: "register", peer_id: "alice", presence: true });
    expect(out.map(([, m]) => m.type)).toEqual(["registered"]);
  });

  it("removes a peer on leave only if the leaving connection still holds the id", () => {
    const room = newRoom();
    act(room, "c1", { type: "register", peer_id: "alice" });
    act(room, "c2", { type: "register", peer_id: "alice" }); // refused: taken
    expect(room.leave("c2")).toEqual([]);
    expect(room.registrationOf("c1")?.peerId).toBe("alice");
    room.leave("c1");
    expect(act(room, "c2", { type: "register", peer_id: "alice" })).toMatchObject([["c2", { type: "registered" }]]);
  });

  it("is rebuilt from restored registrations, as after a wake", () => {
    const room = newRoom();
    room.restore("c1", { peerId: "alice", presence: false });
    room.restore("c2", { peerId: "bob", presence: true });
    expect(act(room, "c1", { type: "relay", to: "bob", data: "hi" })).toEqual([
      ["c2", { type: "relay", from: "alice", data: "hi" }],
    ]);
    expect(room.leave("c1").map((o) => o.to)).toEqual(["c2"]);
  });

  it("answers ping with pong, echoing the request id", () => {
    expect(act(newRoom(), "c1", { type: "ping", request_id: "k" })).toEqual([
      ["c1", { type: "pong", request_id: "k" }],
    ]);
  });
});
