/** The WebSocket tracker endpoint through the Worker, as WebTorrent and Trystero speak to it. */
import { describe, expect, it } from "vitest";
import { freshRoom, type TestSocket } from "../../tools/test-socket.js";
import { wsConnect } from "./ws-connect.js";

// biome-ignore lint/suspicious/noExplicitAny: tracker messages are whatever the clients put in them
type Frame = any;

const binary = (seed: number) =>
  String.fromCharCode(...Array.from({ length: 20 }, (_, i) => (seed * 31 + i * 7) % 256));
const HASH = binary(1);

async function tracker(namespace: string): Promise<TestSocket<Frame>> {
  return (await wsConnect(`/announce/${namespace}`)) as TestSocket<Frame>;
}

describe("the WebSocket tracker endpoint", () => {
  it("hands an offer to another peer of the swarm and the answer back, ids byte-exact", async () => {
    const ns = freshRoom("bt");
    const [a, b] = [await tracker(ns), await tracker(ns)];
    a.send({ action: "announce", info_hash: HASH, peer_id: binary(2), numwant: 0, offers: [] });
    expect(await a.next()).toEqual({ action: "announce", interval: 120, info_hash: HASH, complete: 0, incomplete: 1 });
    const offer = { type: "offer", sdp: "v=0" };
    b.send({
      action: "announce",
      info_hash: HASH,
      peer_id: binary(3),
      numwant: 1,
      offers: [{ offer, offer_id: "o1" }],
    });
    expect(await b.next()).toMatchObject({ action: "announce", complete: 0, incomplete: 2 });
    expect(await a.next()).toEqual({ action: "announce", offer, offer_id: "o1", peer_id: binary(3), info_hash: HASH });
    const answer = { type: "answer", sdp: "v=0" };
    a.send({ action: "announce", info_hash: HASH, peer_id: binary(2), to_peer_id: binary(3), answer, offer_id: "o1" });
    expect(await b.next()).toEqual({ action: "announce", answer, offer_id: "o1", peer_id: binary(2), info_hash: HASH });
  });

  it("scrapes a swarm, and answers bad frames with a failure reason, keeping the connection", async () => {
    const socket = await tracker(freshRoom("bt"));
    socket.send({ action: "announce", info_hash: HASH, peer_id: binary(2), left: 0 });
    await socket.next();
    socket.send({ action: "scrape", info_hash: HASH });
    expect(await socket.next()).toEqual({
      action: "scrape",
      files: { [HASH]: { complete: 1, incomplete: 0, downloaded: 1 } },
      flags: { min_request_interval: 120 },
    });
    for (const frame of ["not json", '{"action":"announce","info_hash":"short"}', '{"action":"connect"}']) {
      socket.sendRaw(frame);
      expect(await socket.next()).toHaveProperty(["failure reason"]);
    }
  });
});
