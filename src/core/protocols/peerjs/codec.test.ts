/** PeerJS's protocol over the room, through an in-memory host: what the original server does, and what it lacks. */
import { describe, expect, it } from "vitest";
import { memoryHost } from "../../../../test/helpers/memory-host.js";
import { PEERJS_EXPIRE_MS, peerjsCodec } from "./codec.js";

function setup() {
  const host = memoryHost({ codec: peerjsCodec, limits: { resumeGraceMs: 1_000 } });
  /** Connects as PeerJS does: the id and token in the URL, registered on connect. */
  const connect = (id: string, token = `${id}-token`) =>
    host.connect(id, {}, new URLSearchParams({ id, token }).toString());
  return { ...host, connect };
}

describe("PeerJS over the room", () => {
  it("opens with OPEN, and relays OFFER, ANSWER and CANDIDATE with src stamped and payload untouched", () => {
    const { connect, send } = setup();
    const [alice, bob] = [connect("alice"), connect("bob")];
    expect(alice.sent).toEqual([{ type: "OPEN" }]);
    const payload = { sdp: { type: "offer", sdp: "v=0" }, type: "data", connectionId: "dc_1", label: "x" };
    send(alice, { type: "OFFER", dst: "bob", src: "forged", payload });
    expect(bob.last()).toEqual({ type: "OFFER", src: "alice", dst: "bob", payload });
  });

  it("answers ID-TAKEN for an id held under another token, and lets the same token take the id over with OPEN", () => {
    const { connect } = setup();
    const first = connect("alice", "t1");
    const thief = connect("alice", "t2");
    expect(thief.last()).toEqual({ type: "ID-TAKEN", payload: { msg: "ID is taken" } });
    const again = connect("alice", "t1");
    expect(again.last()).toEqual({ type: "OPEN" });
    expect(first.closedWith).toBe(4001);
  });

  it("keeps a message to a peer not connected yet, delivering it when the peer connects", () => {
    const { connect, send, tick } = setup();
    const alice = connect("alice");
    send(alice, { type: "OFFER", dst: "late comer", payload: { n: 1 } });
    tick(PEERJS_EXPIRE_MS - 1);
    const late = connect("late comer");
    expect(late.sent).toEqual([
      { type: "OPEN" },
      { type: "OFFER", src: "alice", dst: "late comer", payload: { n: 1 } },
    ]);
  });

  it("answers EXPIRE when the peer does not come in time, as the original does after 5 s", () => {
    const { connect, send, tick, front } = setup();
    const alice = connect("alice");
    send(alice, { type: "CANDIDATE", dst: "ghost", payload: { candidate: "c" } });
    tick(PEERJS_EXPIRE_MS);
    front.alarm();
    expect(alice.last()).toEqual({ type: "EXPIRE", src: "ghost" });
  });

  it("stays silent where the original does: a bad frame, a heartbeat, a LEAVE to nobody", () => {
    const { connect, send, front } = setup();
    const alice = connect("alice");
    front.message(alice, "{oops");
    send(alice, { type: "HEARTBEAT" });
    send(alice, { type: "LEAVE", dst: "nobody" });
    send(alice, { type: "LEAVE" });
    send(alice, { type: "NOPE", dst: "bob" });
    expect(alice.sent).toEqual([{ type: "OPEN" }]);
    expect(alice.closedWith).toBeUndefined();
  });
});
