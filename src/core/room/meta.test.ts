import { describe, expect, it } from "vitest";
import { act, facts, newRoom as pureRoom, register } from "../../../test/helpers/pure-room.js";
import { LIMIT_VARS } from "../config/limits.js";
import { LARGEST_ATTACHMENT, MAX_ATTACHMENT_BYTES } from "../connection/attachment.js";
import { MemoryReservationStore } from "./reservations.js";
import type { RoomState } from "./room-service.js";

const newRoom = (store = new MemoryReservationStore()) => pureRoom(store, true);

describe("peer meta", () => {
  it("goes with the peer's arrival to every watcher", () => {
    const room = newRoom();
    act(room, "w", register("watcher", { presence: true }));
    expect(act(room, "c1", register("alice", { meta: { name: "Alice" } }))[0]).toEqual([
      "w",
      { type: "peer_joined", peerId: "alice", rev: 2, meta: { name: "Alice" } },
    ]);
    expect(act(room, "c2", register("bob"))[0]).toEqual(["w", { type: "peer_joined", peerId: "bob", rev: 3 }]);
  });

  it("is listed only for those that ask, and only for the peers that have one", () => {
    const room = newRoom();
    act(room, "c1", register("alice", { meta: { name: "Alice" } }));
    act(room, "c2", register("bob"));
    const [plain] = act(room, "c3", register("carol"));
    expect(plain?.[1]).not.toHaveProperty("peerMeta");
    expect(act(room, "c3", { type: "list_peers", withMeta: true })[0]?.[1]).toMatchObject({
      peers: ["alice", "bob"],
      peerMeta: { alice: { name: "Alice" } },
    });
    expect(act(room, "c4", register("dave", { withMeta: true }))[0]?.[1]).toMatchObject({
      peerMeta: { alice: { name: "Alice" } },
    });
    expect(act(room, "c3", { type: "list_peers", withMeta: true, limit: 1, after: "alice" })[0]?.[1]).toMatchObject({
      peers: ["bob"],
      peerMeta: {},
    });
  });

  it("stays with an id held for a resume, and a resume that does not say it again keeps it", () => {
    const store = new MemoryReservationStore();
    const room = newRoom(store);
    const [answer] = act(room, "c1", register("alice", { meta: { name: "Alice" } }));
    const token = answer?.[1].type === "registered" ? answer[1].resumeToken : "";
    room.leave("c1", "dropped", facts);
    expect(store.reservations.get("alice")?.meta).toEqual({ name: "Alice" });
    expect(act(room, "c2", { type: "list_peers", withMeta: true })[0]?.[1]).toMatchObject({
      peerMeta: { alice: { name: "Alice" } },
    });
    act(room, "c3", register("alice", { resumeToken: token }));
    expect(room.registrationOf("c3")?.meta).toEqual({ name: "Alice" });
  });

  it("can be changed by registering again, and a peer named __proto__ is listed like any other", () => {
    const room = newRoom();
    act(room, "c1", register("__proto__", { meta: "first" }));
    act(room, "c1", register("__proto__", { meta: "second" }));
    const listed = act(room, "c2", { type: "list_peers", withMeta: true })[0]?.[1];
    expect(listed).toMatchObject({ peers: ["__proto__"] });
    expect(JSON.stringify(listed)).toContain('"peerMeta":{"__proto__":"second"}');
  });

  it("fits the attachment at its largest setting, beside the largest registration", () => {
    const state: RoomState = {
      peerId: "p".repeat(64),
      presence: true,
      token: "t".repeat(64),
      acked: Number.MAX_SAFE_INTEGER,
      seq: Number.MAX_SAFE_INTEGER,
      handed: true,
      // Its UTF-8 JSON is what the limit counts; the runtime's structured clone of it takes no more.
      meta: "x".repeat(LIMIT_VARS.maxMetaBytes.max),
    };
    const attachment = { ...LARGEST_ATTACHMENT, state };
    expect(JSON.stringify(attachment).length).toBeLessThan(MAX_ATTACHMENT_BYTES);
  });
});
