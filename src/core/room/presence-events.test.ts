import { describe, expect, it } from "vitest";
import { act, facts, newRoom, register } from "../../../test/helpers/pure-room.js";
import { MemoryReservationStore } from "./reservations.js";
import type { PresenceChange } from "./room.js";

function tokenOf(out: ReturnType<typeof act>): string {
  const answer = out[0]?.[1];
  return answer?.type === "registered" ? answer.resumeToken : "";
}

function watched() {
  const changes: PresenceChange[] = [];
  const room = newRoom(new MemoryReservationStore(), false, (change) => changes.push(change));
  return { room, changes };
}

describe("the room's presence changes (for webhooks)", () => {
  it("says who joined and who left with a goodbye", () => {
    const { room, changes } = watched();
    act(room, "c1", register("alice"));
    act(room, "c2", register("bob"));
    room.leave("c1", "clean", facts);
    expect(changes).toEqual([
      { type: "joined", peerId: "alice" },
      { type: "joined", peerId: "bob" },
      { type: "left", peerId: "alice", reason: "goodbye" },
    ]);
  });

  it("says nothing of a drop that resumes, and `expired` when the grace period runs out", () => {
    const { room, changes } = watched();
    const token = tokenOf(act(room, "c1", register("alice")));
    room.leave("c1", "dropped", facts);
    act(room, "c2", register("alice", { resumeToken: token }));
    expect(changes).toEqual([{ type: "joined", peerId: "alice" }]);
    room.leave("c2", "dropped", facts);
    room.expire({ ...facts, now: facts.now + 60_000 });
    expect(changes.at(-1)).toEqual({ type: "left", peerId: "alice", reason: "expired" });
  });

  it("says `timed_out` for a peer the server took for dead that never came back", () => {
    const { room, changes } = watched();
    act(room, "c1", register("alice"));
    room.sweep({ ...facts, isLive: () => false });
    expect(changes).toHaveLength(1);
    room.expire({ ...facts, now: facts.now + 60_000 });
    expect(changes.at(-1)).toEqual({ type: "left", peerId: "alice", reason: "timed_out" });
  });

  it("says `replaced`, then a resumed join, when a new connection takes an id over with its token", () => {
    const { room, changes } = watched();
    const token = tokenOf(act(room, "c1", register("alice")));
    act(room, "c2", register("alice", { resumeToken: token }));
    expect(changes).toEqual([
      { type: "joined", peerId: "alice" },
      { type: "left", peerId: "alice", reason: "replaced" },
      { type: "joined", peerId: "alice", resumed: true },
    ]);
  });
});
