import { describe, expect, it } from "vitest";
import { act, facts, newRoom, register } from "../../../test/helpers/pure-room.js";

const anyToken = expect.stringMatching(/^[A-Za-z0-9_-]{22}$/);

describe("Room", () => {
  it("answers a register with the other peers and the revision", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    expect(act(room, "c2", register("bob", { requestId: "r" }))).toEqual([
      [
        "c2",
        {
          type: "registered",
          peerId: "bob",
          peers: ["alice"],
          rev: 2,
          resumeToken: anyToken,
          acked: 0,
          requestId: "r",
        },
      ],
    ]);
  });

  it("treats registering the same id again on the same connection as idempotent", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    expect(act(room, "c1", register("alice"))).toEqual([
      ["c1", { type: "registered", peerId: "alice", peers: [], rev: 1, resumeToken: anyToken, acked: 0 }],
    ]);
    expect(room.peerCount).toBe(1);
  });

  it("refuses a second id on a registered connection", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    expect(act(room, "c1", register("alice2"))).toMatchObject([["c1", { type: "error", code: "already_registered" }]]);
  });

  it("keeps a taken id with its holder", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    expect(act(room, "c2", register("alice", { requestId: "x" }))).toMatchObject([
      ["c2", { type: "error", code: "peer_id_taken", requestId: "x" }],
    ]);
    expect(room.registrationOf("c1")?.peerId).toBe("alice");
    expect(room.registrationOf("c2")).toBeUndefined();
  });

  it("lists peers without the caller, also before registering", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    act(room, "c2", register("bob"));
    expect(act(room, "c1", { type: "list_peers" })).toEqual([["c1", { type: "peers", peers: ["bob"], rev: 2 }]]);
    expect(act(room, "c3", { type: "list_peers" })).toEqual([
      ["c3", { type: "peers", peers: ["alice", "bob"], rev: 2 }],
    ]);
  });

  it("relays data unchanged with the sender's registered id as from", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    act(room, "c2", register("bob"));
    const data = '{ "sdp": "v=0", "nested": [1, null, { "a": true }] }';
    expect(act(room, "c1", { type: "relay", to: "bob", data })).toEqual([
      ["c2", { type: "relay", from: "alice", data }],
    ]);
  });

  it("refuses a relay from an unregistered connection or to an unknown peer", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    expect(act(room, "c9", { type: "relay", to: "alice", data: "1" })).toMatchObject([
      ["c9", { code: "not_registered" }],
    ]);
    expect(act(room, "c1", { type: "relay", to: "nobody", data: "1", requestId: "q" })).toMatchObject([
      ["c1", { code: "unknown_peer", requestId: "q" }],
    ]);
  });

  it("tells presence subscribers, and only them, of joins and leaves with consecutive revisions", () => {
    const room = newRoom();
    act(room, "w", register("watcher", { presence: true }));
    act(room, "q", register("quiet"));
    expect(act(room, "c1", register("alice"))).toEqual([
      ["w", { type: "peer_joined", peerId: "alice", rev: 3 }],
      [
        "c1",
        { type: "registered", peerId: "alice", peers: ["watcher", "quiet"], rev: 3, resumeToken: anyToken, acked: 0 },
      ],
    ]);
    expect(room.leave("c1", "clean", facts).map((o) => [o.to, o.event])).toEqual([
      ["w", { type: "peer_left", peerId: "alice", rev: 4 }],
    ]);
  });

  it("shares one event object among the recipients of a broadcast, so it is encoded once", () => {
    const room = newRoom();
    act(room, "w1", register("w1", { presence: true }));
    act(room, "w2", register("w2", { presence: true }));
    const [first, second] = room.handle("c1", register("alice"), facts);
    expect(first?.event).toBe(second?.event);
  });

  it("does not tell a newcomer of its own arrival", () => {
    const room = newRoom();
    const out = act(room, "c1", register("alice", { presence: true }));
    expect(out.map(([, m]) => m.type)).toEqual(["registered"]);
  });

  it("removes a peer on leave only if the leaving connection still holds the id", () => {
    const room = newRoom();
    act(room, "c1", register("alice"));
    act(room, "c2", register("alice")); // refused: taken
    expect(room.leave("c2", "clean", facts)).toEqual([]);
    expect(room.registrationOf("c1")?.peerId).toBe("alice");
    room.leave("c1", "clean", facts);
    expect(act(room, "c2", register("alice"))).toMatchObject([["c2", { type: "registered" }]]);
  });

  it("is rebuilt from restored registrations, as after a wake", () => {
    const room = newRoom();
    room.restore("c1", { peerId: "alice", presence: false, token: "t1", acked: 0 });
    room.restore("c2", { peerId: "bob", presence: true, token: "t2", acked: 0 });
    expect(act(room, "c1", { type: "relay", to: "bob", data: '"hi"' })).toEqual([
      ["c2", { type: "relay", from: "alice", data: '"hi"' }],
    ]);
    expect(room.leave("c1", "clean", facts).map((o) => o.to)).toEqual(["c2"]);
  });

  it("answers ping with pong, echoing the request id", () => {
    expect(act(newRoom(), "c1", { type: "ping", requestId: "k" })).toEqual([["c1", { type: "pong", requestId: "k" }]]);
  });
});
