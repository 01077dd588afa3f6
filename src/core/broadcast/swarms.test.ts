import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../config/limits.js";
import { decodeWebtorrent, encodeWebtorrent } from "../protocols/webtorrent/codec.js";
import { MAX_SWARMS_PER_CONNECTION, SwarmRoom } from "./swarms.js";

/** A 20-character binary string, as trackers' clients send: every code unit below 256, control characters too. */
const binary = (seed: number) =>
  String.fromCharCode(...Array.from({ length: 20 }, (_, i) => (seed * 37 + i * 11) % 256));
const HASH = binary(1);
const [A, B, C] = [binary(2), binary(3), binary(4)];

describe("the WebSocket tracker codec", () => {
  it("keeps binary ids byte-exact through JSON, both ways", () => {
    const frame = JSON.stringify({ action: "announce", info_hash: HASH, peer_id: A, numwant: 1, offers: [] });
    const decoded = decodeWebtorrent(frame, DEFAULT_LIMITS);
    expect(decoded).toMatchObject({ ok: true, command: { type: "announce", infoHash: HASH, peerId: A } });
    const out = JSON.parse(
      encodeWebtorrent({ type: "offer", infoHash: HASH, peerId: A, offer: { sdp: "x" }, offerId: "o" }),
    );
    expect(out.info_hash).toBe(HASH);
    expect(out.peer_id).toBe(A);
  });

  it("refuses what bittorrent-tracker refuses, with a failure reason", () => {
    for (const message of [
      { action: "announce", info_hash: "short", peer_id: A },
      { action: "announce", info_hash: HASH, peer_id: 7 },
      { action: "announce", info_hash: HASH, peer_id: A, answer: {}, offer_id: "o" },
      { action: "connect" },
    ]) {
      const decoded = decodeWebtorrent(JSON.stringify(message), DEFAULT_LIMITS);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(JSON.parse(encodeWebtorrent(decoded.error))).toHaveProperty(["failure reason"]);
    }
  });
});

describe("SwarmRoom", () => {
  const announce = (peerId: string, offers = 0, extra = {}) => ({
    type: "announce" as const,
    infoHash: HASH,
    peerId,
    left: 1,
    numwant: offers,
    offers: Array.from({ length: offers }, (_, i) => ({ offer: { sdp: `${peerId}-${i}` }, offer_id: `o${i}` })),
    ...extra,
  });

  it("answers an announce with the swarm's counts, and hands each offer to a different other peer", () => {
    const room = new SwarmRoom<string>();
    expect(room.handle("a", announce(A))).toEqual([
      { to: "a", event: { type: "announced", infoHash: HASH, complete: 0, incomplete: 1 } },
    ]);
    room.handle("b", announce(B, 0, { left: 0 }));
    const out = room.handle("c", announce(C, 3));
    expect(out[0]).toEqual({ to: "c", event: { type: "announced", infoHash: HASH, complete: 1, incomplete: 2 } });
    const offers = out.slice(1);
    expect(offers.map((o) => o.to).sort()).toEqual(["a", "b"]);
    expect(offers.every((o) => o.event.type === "offer" && o.event.peerId === C)).toBe(true);
  });

  it("forwards an answer to the peer it names, and drops one to a stranger in silence", () => {
    const room = new SwarmRoom<string>();
    room.handle("a", announce(A));
    room.handle("b", announce(B));
    const answer = {
      type: "answer" as const,
      infoHash: HASH,
      peerId: B,
      toPeerId: A,
      offerId: "o0",
      answer: { sdp: "y" },
    };
    expect(room.handle("b", answer)).toEqual([
      { to: "a", event: { type: "answer", infoHash: HASH, peerId: B, answer: { sdp: "y" }, offerId: "o0" } },
    ]);
    expect(room.handle("b", { ...answer, toPeerId: C })).toEqual([]);
  });

  it("leaves on stopped and on close, and keeps memberships to restore after a wake", () => {
    const room = new SwarmRoom<string>();
    room.handle("a", announce(A));
    room.handle("b", announce(B));
    expect(room.membershipsOf("a")).toEqual([[HASH, A, false]]);
    room.handle("a", announce(A, 0, { event: "stopped" }));
    room.leave("b");
    expect(room.swarmCount).toBe(0);
    const woken = new SwarmRoom<string>();
    woken.restore("b", [[HASH, B, true]]);
    expect(woken.handle("c", announce(C))[0]?.event).toMatchObject({ complete: 1, incomplete: 1 });
  });

  it("bounds the swarms of one connection", () => {
    const room = new SwarmRoom<string>();
    for (let i = 0; i < MAX_SWARMS_PER_CONNECTION; i++) room.handle("a", { ...announce(A), infoHash: binary(100 + i) });
    expect(room.handle("a", { ...announce(A), infoHash: binary(99) })[0]?.event).toMatchObject({
      type: "failure",
      code: "too_many_swarms",
    });
  });

  // Regression: a second socket announcing a peer_id took over the first one's offers: the answers meant for the
  // first went to whoever announced its id last. The original tracker keeps the first.
  it("keeps a peer id with the first connection that announced it", () => {
    const room = new SwarmRoom<string>();
    room.handle("a", announce(A));
    room.handle("b", announce(B));
    expect(room.handle("mallory", announce(A))).toEqual([
      { to: "mallory", event: { type: "failure", code: "peer_id_taken", message: expect.any(String), infoHash: HASH } },
    ]);
    const answer = { type: "answer" as const, infoHash: HASH, peerId: B, toPeerId: A, offerId: "o0", answer: {} };
    expect(room.handle("b", answer)).toEqual([
      { to: "a", event: expect.objectContaining({ type: "answer", peerId: B }) },
    ]);
    // Nor may a connection answer as a peer id it does not hold.
    expect(room.handle("mallory", { ...answer, peerId: A, toPeerId: B })).toMatchObject([
      { to: "mallory", event: { type: "failure", code: "peer_id_taken" } },
    ]);
    room.leave("a");
    expect(room.handle("mallory", announce(A))[0]?.event).toMatchObject({ type: "announced" });
  });
});
