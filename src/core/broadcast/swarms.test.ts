import { describe, expect, it } from "vitest";
import { memoryFront } from "../../../test/helpers/memory-host.js";
import { DEFAULT_LIMITS, PLATFORM_MAX_ATTACHMENT_BYTES } from "../config/limits.js";
import { decodeWebtorrent, encodeWebtorrent, webtorrentProtocol } from "../protocols/webtorrent/codec.js";
import { BroadcastService } from "./broadcast-service.js";
import {
  MAX_SWARMS_PER_CONNECTION,
  MAX_WAITING_BYTES,
  OFFER_WAIT_MS,
  type SwarmMemberships,
  SwarmRoom,
} from "./swarms.js";

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

  // Regression: offers that found no peer were dropped, as the original does. Trystero's peer with the lower id ignores
  // offers while its own are out, so when it came first, a peer that joined seconds after it met it only at its next
  // announce, two minutes on.
  describe("offers that found no peer", () => {
    const offersTo = (out: ReturnType<SwarmRoom<string>["handle"]>, to: string) =>
      out.filter((o) => o.to === to && o.event.type === "offer").map((o) => o.event);

    it("wait for the next peer to join: one from each peer that left some, each handed once", () => {
      const room = new SwarmRoom<string>();
      room.handle("a", announce(A, 3));
      room.handle("c", { ...announce(C, 1), infoHash: binary(50) }); // another swarm: nothing of it is handed here
      expect(offersTo(room.handle("b", announce(B)), "b")).toEqual([
        { type: "offer", infoHash: HASH, peerId: A, offer: { sdp: `${A}-0` }, offerId: "o0" },
      ]);
      // Not again to a peer already in the swarm, nor to the peer that left them.
      expect(offersTo(room.handle("b", announce(B)), "b")).toEqual([]);
      expect(offersTo(room.handle("a", announce(A)), "a")).toEqual([]);
      // a's re-announce without offers took its waiting ones back: the next peer to join gets none.
      expect(offersTo(room.handle("c", announce(C)), "c")).toEqual([]);
    });

    it("are handed in turn to later peers, and tell whose kept state changed", () => {
      const room = new SwarmRoom<string>();
      room.handle("a", announce(A, 2));
      expect(room.membershipsOf("a")).toEqual([
        [
          HASH,
          A,
          false,
          {
            until: expect.any(Number),
            offers: [expect.objectContaining({ offer_id: "o0" }), expect.objectContaining({ offer_id: "o1" })],
          },
        ],
      ]);
      expect(offersTo(room.handle("b", announce(B)), "b").map((e) => e.type === "offer" && e.offerId)).toEqual(["o0"]);
      expect(room.touched()).toEqual(["a"]);
      expect(room.touched()).toEqual([]);
      expect(offersTo(room.handle("c", announce(C)), "c").map((e) => e.type === "offer" && e.offerId)).toEqual(["o1"]);
      expect(room.membershipsOf("a")).toEqual([[HASH, A, false]]);
    });

    it("wait no longer than OFFER_WAIT_MS", () => {
      let now = 1_000;
      const room = new SwarmRoom<string>(Math.random, () => now);
      room.handle("a", announce(A, 1));
      now += OFFER_WAIT_MS;
      expect(offersTo(room.handle("b", announce(B)), "b")).toEqual([]);
    });

    it("take at most MAX_WAITING_BYTES of one connection, over all its swarms", () => {
      const room = new SwarmRoom<string>();
      const big = (i: number) => ({ offer: { sdp: "x".repeat(3_000) }, offer_id: `big${i}` });
      room.handle("a", { ...announce(A), numwant: 4, offers: [big(0), big(1), big(2), big(3)] });
      room.handle("a", { ...announce(A), infoHash: binary(60), numwant: 1, offers: [big(4)] });
      const kept = room.membershipsOf("a").flatMap((m) => (m[3] ? m[3].offers : []));
      expect(kept.map((o) => o.offer_id)).toEqual(["big0", "big1"]);
      expect(JSON.stringify(kept).length).toBeLessThanOrEqual(MAX_WAITING_BYTES);
    });

    it("fit, with a connection's every swarm, in an attachment", () => {
      const h = memoryFront<SwarmMemberships>((outlet) => new BroadcastService(outlet, webtorrentProtocol()));
      const a = h.connect("a");
      const offers = Array.from({ length: 4 }, (_, i) => ({ offer_id: `o${i}`, offer: { sdp: "é".repeat(700) } }));
      for (let i = 0; i < MAX_SWARMS_PER_CONNECTION; i++) {
        const frame = { action: "announce", info_hash: binary(300 + i), peer_id: A, numwant: 4, offers };
        h.front.message(a, JSON.stringify(frame));
      }
      expect(a.saved?.state).toHaveLength(MAX_SWARMS_PER_CONNECTION);
      expect(a.saved?.state?.some((m) => m[3] !== undefined)).toBe(true);
      // JSON with every control character of the binary ids escaped: more than the runtime's serialization takes.
      expect(new TextEncoder().encode(JSON.stringify(a.saved)).length).toBeLessThan(PLATFORM_MAX_ATTACHMENT_BYTES);
    });

    it("survive a wake in the attachment, and a bad one is dropped", () => {
      const protocol = webtorrentProtocol<string>();
      protocol.handle("a", announce(A, 1));
      const saved = protocol.parseState(structuredClone(protocol.stateAfter("a", announce(A, 1))));
      const woken = webtorrentProtocol<string>();
      woken.restore("a", saved ?? []);
      const out = woken.handle("b", announce(B));
      expect(out.filter((o) => o.to === "b").map((o) => o.event.type)).toEqual(["announced", "offer"]);
      expect(woken.touched?.()).toEqual([{ connection: "a", state: [[HASH, A, false]] }]);
      expect(protocol.parseState([[HASH, A, false, { until: 1, offers: [{ sdp: "no offer_id" }] }]])).toEqual([]);
    });

    it("are handed within the newcomer's receive budget, never closing it for what others left", () => {
      const burst = 4_000;
      const h = memoryFront<SwarmMemberships>((outlet) => new BroadcastService(outlet, webtorrentProtocol()), {
        limits: { outboundBurstBytes: burst, outboundBytesPerSecond: 100 },
      });
      const frame = (peerId: string, offers: number) =>
        JSON.stringify({
          action: "announce",
          info_hash: HASH,
          peer_id: peerId,
          numwant: offers,
          offers: Array.from({ length: offers }, (_, i) => ({ offer_id: `o${i}`, offer: { sdp: "x".repeat(1_500) } })),
        });
      // Four peers, each leaving offers the ones before it could not all take: four wait in the end.
      const peers = Array.from({ length: 4 }, (_, i) => h.connect(`p${i}`));
      const waiting = () => peers.reduce((n, p) => n + (p.saved?.state?.[0]?.[3]?.offers.length ?? 0), 0);
      for (const [i, p] of peers.entries()) {
        h.front.message(p, frame(binary(200 + i), 4));
        if (i === 0) expect(waiting()).toBe(4);
      }
      const before = waiting();
      const victim = h.connect("victim");
      h.front.message(victim, frame(binary(250), 0));
      const handed = victim.sent.filter((m) => m.offer !== undefined);
      // More wait than its budget takes: it receives what fits, and stays open, told of nothing.
      expect(before).toBeGreaterThan(burst / 1_500);
      expect(handed.length).toBeGreaterThan(0);
      expect(handed.length).toBeLessThan(burst / 1_500);
      expect(victim.closedWith).toBeUndefined();
      expect(victim.sent.some((m) => m["failure reason"] !== undefined)).toBe(false);
      // The peers whose offers were handed have their attachments rewritten without them.
      expect(waiting()).toBeLessThanOrEqual(before - handed.length);
    });
  });
});
