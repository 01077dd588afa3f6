/**
 * An end nobody tells the room of (a crash, SIGKILL, a Cloudflare deploy): the connections are gone with the
 * process, the storage stays. With registrations persisted, the next start holds every id that was connected for
 * its client to take back, as after any drop; without, the ids are free, as before.
 */
import { describe, expect, it } from "vitest";
import { memoryHost } from "../../../test/helpers/memory-host.js";
import { MemoryReservationStore } from "./reservations.js";

const GRACE_MS = 30_000;

/** A room with alice and a watching bob, then a crash: a new host over the same storage, with no connection. */
function crashed(persistRegistrations = true) {
  const store = new MemoryReservationStore();
  const before = memoryHost({ store, persistRegistrations, limits: { resumeGraceMs: GRACE_MS } });
  const alice = before.register("alice");
  const bob = before.register("bob", { presence: true });
  for (let seq = 1; seq <= 3; seq++) before.send(alice, { type: "relay", to: "bob", data: seq, seq });
  const after = memoryHost({
    store,
    persistRegistrations,
    limits: { resumeGraceMs: GRACE_MS },
    startAt: before.clock.now + 1_000,
  });
  after.front.restored();
  return { store, after, aliceToken: before.tokenOf(alice), bobToken: before.tokenOf(bob) };
}

describe("a restart the room is not told of", () => {
  it("holds every id that was connected: nobody else can register it meanwhile", () => {
    const { after } = crashed();
    expect(after.room.reservationStats().count).toBe(2);
    const thief = after.connect("thief");
    after.send(thief, { type: "register", peer_id: "alice" });
    expect(thief.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
    // A newcomer sees them in the room, as peers whose connection dropped.
    const carol = after.register("carol");
    expect(carol.last()).toMatchObject({ type: "registered", peers: expect.arrayContaining(["alice", "bob"]) });
  });

  it("gives the id back to its resume token, saying that what was in flight may be lost", () => {
    const { after, aliceToken } = crashed();
    const alice = after.connect("alice-again");
    after.send(alice, { type: "register", peer_id: "alice", resume_token: aliceToken, last_seq: 0 });
    expect(alice.last()).toMatchObject({ type: "registered", peer_id: "alice", resumed: true, recovered: false });
    // What the claim knew: the relays taken in after it was written are the client's to send again.
    expect(alice.last().acked).toBe(0);
  });

  it("keeps relays for a held id, and tells their senders when it does not come back", () => {
    const { after, aliceToken } = crashed();
    const alice = after.connect("alice-again");
    after.send(alice, { type: "register", peer_id: "alice", resume_token: aliceToken });
    after.send(alice, { type: "relay", to: "bob", data: "kept", seq: 4 });
    expect(alice.sent.filter((m) => m.type === "error")).toEqual([]);
    after.tick(GRACE_MS);
    after.front.alarm();
    expect(alice.last()).toMatchObject({ type: "error", code: "undeliverable", to: "bob", count: 1 });
  });

  it("schedules the end of what it holds", () => {
    const { after } = crashed();
    expect(after.schedule.at(-1)).toBe(after.clock.now + GRACE_MS);
  });

  it("holds nothing when registrations are not persisted: the ids are free, as before", () => {
    const { after, store } = crashed(false);
    expect(store.writes).toBe(0);
    expect(after.room.reservationStats().count).toBe(0);
    const newcomer = after.register("alice");
    expect(newcomer.last()).toMatchObject({ type: "registered", peer_id: "alice" });
    expect(newcomer.last().resumed).toBeUndefined();
  });

  it("adopts nothing on an ordinary wake, where the connections come back with their registrations", () => {
    const store = new MemoryReservationStore();
    const h = memoryHost({ store, persistRegistrations: true });
    const alice = h.register("alice");
    const woken = memoryHost({ store, persistRegistrations: true });
    woken.restore(alice);
    woken.front.restored();
    expect(woken.room.reservationStats().count).toBe(0);
    expect(woken.room.peerIds()).toEqual(["alice"]);
  });

  it("writes a claim at register and deletes it at a goodbye: two rows a session, none on the relay path", () => {
    const store = new MemoryReservationStore();
    const h = memoryHost({ store, persistRegistrations: true });
    const [alice, bob] = [h.register("alice"), h.register("bob")];
    expect(store.writes).toBe(2);
    for (let seq = 1; seq <= 40; seq++) h.send(alice, { type: "relay", to: "bob", data: seq, seq });
    expect(store.writes).toBe(2);
    h.close(alice, 1000);
    h.close(bob, 1001);
    expect(store.writes).toBe(4);
    expect(store.claims()).toEqual([]);
  });

  it("turns a claim into a reservation at a drop, in one write", () => {
    const store = new MemoryReservationStore();
    const h = memoryHost({ store, persistRegistrations: true });
    const alice = h.register("alice");
    h.close(alice, 1006);
    expect(store.writes).toBe(2);
    expect(store.claims()).toEqual([]);
    expect(h.room.reservationStats().count).toBe(1);
  });

  // An attacker's loop of presence on, presence off must not cost a row written each time.
  it("writes nothing when a registration only changes its presence, and keeps a resumed id claimed", () => {
    const store = new MemoryReservationStore();
    const h = memoryHost({ store, persistRegistrations: true });
    const alice = h.register("alice");
    for (const presence of [true, false, true, false]) h.send(alice, { type: "register", peer_id: "alice", presence });
    expect(store.writes).toBe(1);
    h.close(alice, 1006);
    const back = h.connect("alice-back");
    h.send(back, { type: "register", peer_id: "alice", resume_token: h.tokenOf(alice) });
    expect(back.last()).toMatchObject({ type: "registered", resumed: true });
    expect(store.claims()).toEqual([expect.objectContaining({ peerId: "alice", token: h.tokenOf(back) })]);
  });
});
