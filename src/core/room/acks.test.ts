/** The client's own relay numbering: acks, relays sent again, and what a resume says was kept. */
import { describe, expect, it } from "vitest";
import { memoryHost } from "../../../test/helpers/memory-host.js";
import { ACK_EVERY } from "./room.js";

const relay = (to: string, seq: number, data: unknown = seq) => ({ type: "relay", to, seq, data });
type Sent = { type: string; seq?: number; data?: unknown };
const relaysTo = (c: { sent: Sent[] }) => c.sent.filter((m) => m.type === "relay");

describe("numbered relays", () => {
  it("are acked cumulatively, once per 16, not once each", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    const bob = h.register("bob");
    for (let seq = 1; seq <= 2 * ACK_EVERY + 1; seq++) h.send(alice, relay("bob", seq));
    expect(alice.sent.filter((m) => m.type === "ack")).toEqual([
      { type: "ack", seq: ACK_EVERY },
      { type: "ack", seq: 2 * ACK_EVERY },
    ]);
    expect(relaysTo(bob).length).toBe(2 * ACK_EVERY + 1);
  });

  it("drop a relay sent again that the room already has, answering with an ack at once", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    const bob = h.register("bob");
    for (const seq of [1, 2, 3, 2, 3]) h.send(alice, relay("bob", seq));
    expect(relaysTo(bob).map((m) => m.data)).toEqual([1, 2, 3]);
    expect(alice.last()).toEqual({ type: "ack", seq: 3 });
  });

  it("tell a resuming client the highest one the room has, so that it sends again only what is missing", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    const bob = h.register("bob");
    for (let seq = 1; seq <= 5; seq++) h.send(alice, relay("bob", seq));
    h.close(alice, 1006);
    const back = h.connect("alice-back");
    h.send(back, { type: "register", peer_id: "alice", resume_token: h.tokenOf(alice) });
    expect(back.last()).toMatchObject({ type: "registered", resumed: true, acked: 5 });
    // The client had no ack for 4, 5 and 6 (the last was still on its way when the connection dropped).
    for (const seq of [4, 5, 6]) h.send(back, relay("bob", seq));
    expect(relaysTo(bob).map((m) => m.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("are never taken in twice across a wake: what the room has is saved as it moves", () => {
    const first = memoryHost();
    const alice = first.register("alice");
    const bob = first.register("bob");
    for (let seq = 1; seq <= 3; seq++) first.send(alice, relay("bob", seq));
    const woken = memoryHost();
    woken.restore(alice);
    woken.restore(bob);
    woken.send(alice, relay("bob", 3));
    woken.send(alice, relay("bob", 4));
    expect(relaysTo(bob).map((m) => m.data)).toEqual([1, 2, 3, 4]);
  });

  it("leave a client that does not number its relays as it was: no acks", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    h.register("bob");
    for (let i = 0; i < 40; i++) h.send(alice, { type: "relay", to: "bob", data: i });
    expect(alice.sent.filter((m) => m.type === "ack")).toEqual([]);
  });
});

describe("what a resume says it brought back", () => {
  it("is whole when every relay handed after the client's last_seq is kept", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    const bob = h.register("bob");
    for (let i = 1; i <= 3; i++) h.send(alice, { type: "relay", to: "bob", data: i });
    const lastSeq = relaysTo(bob)[0] as Sent;
    h.close(bob, 1006);
    const back = h.connect("bob-back");
    h.send(back, { type: "register", peer_id: "bob", resume_token: h.tokenOf(bob), last_seq: lastSeq.seq });
    expect(back.sent[0]).toMatchObject({ type: "registered", resumed: true, recovered: true });
    expect(relaysTo(back).map((m) => m.data)).toEqual([2, 3]);
  });

  it("says recovered: false when a wake lost what the last connection was handed", () => {
    const first = memoryHost();
    const alice = first.register("alice");
    const bob = first.register("bob");
    first.send(alice, { type: "relay", to: "bob", data: "before the wake" });
    const woken = memoryHost();
    woken.restore(alice);
    woken.restore(bob);
    woken.close(bob, 1006);
    const back = woken.connect("bob-back");
    woken.send(back, { type: "register", peer_id: "bob", resume_token: first.tokenOf(bob), last_seq: 0 });
    expect(back.sent[0]).toMatchObject({ type: "registered", resumed: true, recovered: false });
  });

  it("says recovered: false when the ring no longer reaches back to the client's last_seq", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    const bob = h.register("bob");
    for (let i = 1; i <= 100; i++) h.send(alice, { type: "relay", to: "bob", data: i });
    h.close(bob, 1006);
    const back = h.connect("bob-back");
    h.send(back, { type: "register", peer_id: "bob", resume_token: h.tokenOf(bob), last_seq: 0 });
    expect(back.sent[0]).toMatchObject({ type: "registered", resumed: true, recovered: false });
  });
});

// Regression: an answer to a relay (unknown_peer, say) lost in flight with a drop left its sender untold for ever:
// the room had taken the relay in (acked it), so the client did not send it again, and nothing said what became of it.
describe("answers to relays", () => {
  it("are numbered with the relays handed to the connection, and come back with a resume that missed them", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    h.send(alice, { ...relay("ghost", 1), request_id: "relay-1" });
    expect(alice.last()).toMatchObject({ type: "error", code: "unknown_peer", to: "ghost", seq: 1 });
    h.close(alice, 1006); // as if the answer was lost in flight
    const back = h.connect("alice-back");
    h.send(back, { type: "register", peer_id: "alice", resume_token: h.tokenOf(alice), last_seq: 0 });
    expect(back.sent.at(-2)).toMatchObject({ type: "registered", resumed: true, acked: 1, recovered: true });
    expect(back.last()).toMatchObject({ type: "error", code: "unknown_peer", to: "ghost", request_id: "relay-1" });
  });

  it("are not handed again to a client whose last_seq says it has them", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    h.send(alice, relay("ghost", 1));
    h.close(alice, 1006);
    const back = h.connect("alice-back");
    h.send(back, { type: "register", peer_id: "alice", resume_token: h.tokenOf(alice), last_seq: 1 });
    expect(back.last()).toMatchObject({ type: "registered", resumed: true });
  });

  it("come back with a takeover from a socket that is still open", () => {
    const h = memoryHost();
    const alice = h.register("alice");
    const bob = h.register("bob");
    h.send(bob, relay("alice", 1, "hi"));
    h.send(alice, relay("ghost", 1));
    const fresh = h.connect("alice-2");
    h.send(fresh, { type: "register", peer_id: "alice", resume_token: h.tokenOf(alice), last_seq: 1 });
    expect(fresh.sent.slice(1).map((m) => [m.type, m.code])).toEqual([["error", "unknown_peer"]]);
  });
});

// Regression: when a reservation ran out while a sender to it was itself away (its connection cut), the sender's
// `undeliverable` was dropped, and it never learned what became of its relays.
describe("undeliverable", () => {
  it("waits for a sender that is away itself, and reaches it when it resumes", () => {
    const h = memoryHost({ limits: { resumeGraceMs: 1_000 } });
    const alice = h.register("alice");
    const bob = h.register("bob");
    h.close(bob, 1006);
    h.send(alice, { ...relay("bob", 1), request_id: "relay-1" });
    h.tick(500);
    h.close(alice, 1006);
    h.tick(600);
    h.front.alarm(); // bob's time is up; alice's is not
    const back = h.connect("alice-back");
    h.send(back, { type: "register", peer_id: "alice", resume_token: h.tokenOf(alice), last_seq: 0 });
    expect(back.sent.at(-2)).toMatchObject({ type: "registered", resumed: true });
    expect(back.last()).toMatchObject({ type: "error", code: "undeliverable", to: "bob", count: 1 });
  });
});
