import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryConn, memoryHost } from "../../../test/helpers/memory-host.js";
import { DEFAULT_LIMITS, type Limits } from "../config/limits.js";
import { seedCodec } from "../protocols/seed/codec.js";
import { Pipeline, type Transport } from "./pipeline.js";
import { MemoryReservationStore } from "./reservations.js";

function setup(limits: Partial<Limits> = {}, transport: Partial<Transport<MemoryConn>> = {}) {
  const host = memoryHost({ limits, transport });
  const send = (c: MemoryConn, message: unknown) => host.pipeline.message(c, JSON.stringify(message));
  return { ...host, open: host.connect, send };
}

afterEach(() => vi.restoreAllMocks());

describe("Pipeline", () => {
  it("relays between registered connections, saving each registration", () => {
    const { open, send } = setup();
    const [alice, bob] = [open("a"), open("b")];
    send(alice, { type: "register", peer_id: "alice" });
    send(bob, { type: "register", peer_id: "bob" });
    send(alice, { type: "relay", to: "bob", data: { sdp: "v=0" } });
    expect(bob.sent.at(-1)).toEqual({ type: "relay", from: "alice", data: { sdp: "v=0" }, seq: expect.any(Number) });
    expect(alice.saved).toEqual({
      room: "r",
      peerId: "alice",
      presence: false,
      token: expect.any(String),
      seen: expect.any(Number),
      seq: 1_000,
    });
  });

  it("turns away a connection past the room's limit with room_full and close 1013", () => {
    const { open } = setup({ maxPeersPerRoom: 2 });
    open("a");
    open("b");
    const late = open("c");
    expect(late.sent).toMatchObject([{ type: "error", code: "room_full" }]);
    expect(late.closedWith).toBe(1013);
  });

  it("recounts from the host when the cached count says full, so a missed close never keeps a room full", () => {
    const { pipeline, open } = setup({ maxPeersPerRoom: 1 });
    const first = open("a");
    first.closedWith = 1006; // gone, but the pipeline never heard of it
    const second = open("b");
    expect(second.closedWith).toBeUndefined();
    expect(pipeline).toBeDefined();
  });

  it("answers a relay whose target is already closing with unknown_peer, echoing the request id", () => {
    const { open, send } = setup();
    const [alice, bob] = [open("a"), open("b")];
    send(alice, { type: "register", peer_id: "alice" });
    send(bob, { type: "register", peer_id: "bob" });
    bob.closedWith = 1006;
    send(alice, { type: "relay", to: "bob", data: 1, request_id: "r" });
    expect(alice.sent.at(-1)).toMatchObject({ type: "error", code: "unknown_peer", request_id: "r" });
  });

  it("answers over the rate with rate_limited, and closes a connection still over it after the window", () => {
    const { open, send, tick } = setup({ ratePerSecond: 1, rateBurst: 2, abuseAfterMs: 1_000 });
    const abuser = open("a");
    send(abuser, { type: "ping" });
    send(abuser, { type: "ping" });
    send(abuser, { type: "ping", request_id: "p" });
    expect(abuser.sent.at(-1)).toMatchObject({ type: "error", code: "rate_limited", request_id: "p" });
    expect(abuser.closedWith).toBeUndefined();
    vi.spyOn(console, "warn").mockImplementation(() => {});
    tick(1_000);
    send(abuser, { type: "ping" }); // one token back, the bucket still not full
    send(abuser, { type: "ping" });
    expect(abuser.closedWith).toBe(1008);
  });

  // Found by an adversarial run: the token was taken after parsing, so a flood over the rate still cost a parse
  // per frame. A frame over the rate is now refused unparsed, its request id read without parsing.
  it("refuses a frame over the rate without parsing it, still echoing its request id", () => {
    const { open, send } = setup({ ratePerSecond: 1, rateBurst: 1 });
    const flooder = open("a");
    send(flooder, { type: "ping" });
    const parse = vi.spyOn(JSON, "parse");
    send(flooder, { type: "relay", to: "x", data: "y".repeat(1_000), request_id: "late" });
    expect(parse.mock.calls.filter(([text]) => String(text).includes("yyy"))).toEqual([]);
    expect(flooder.sent.at(-1)).toMatchObject({ type: "error", code: "rate_limited", request_id: "late" });
  });

  // Regression: an exception while handling a message answered internal_error without the message's request_id,
  // so the client SDK's connect() never settled when register failed that way.
  it("echoes the request id on internal_error, so a waiting request settles", () => {
    const { open, send } = setup(
      {},
      {
        save: () => {
          throw new Error("storage unavailable");
        },
      },
    );
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const alice = open("a");
    send(alice, { type: "register", peer_id: "alice", request_id: "reg-1" });
    expect(alice.sent.at(-1)).toMatchObject({ type: "error", code: "internal_error", request_id: "reg-1" });
    expect(error).toHaveBeenCalledWith(expect.stringContaining('"event":"message_failed"'));
    expect(error).toHaveBeenCalledWith(expect.not.stringContaining("storage unavailable\\n"));
  });

  it("tells presence watchers at once when a connection says goodbye (1000 or 1001)", () => {
    for (const code of [1000, 1001]) {
      const { pipeline, open, send, store } = setup();
      const [watcher, leaver] = [open("w"), open("l")];
      send(watcher, { type: "register", peer_id: "watcher", presence: true });
      send(leaver, { type: "register", peer_id: "leaver" });
      pipeline.closed(leaver, code);
      expect(watcher.sent.at(-1)).toMatchObject({ type: "peer_left", peer_id: "leaver" });
      expect(store.writes).toBe(0);
    }
  });

  it("holds a dropped peer's id (1006) without a word to watchers, and logs the drop at debug only", () => {
    const { pipeline, open, send } = setup();
    const [watcher, leaver] = [open("w"), open("l")];
    send(watcher, { type: "register", peer_id: "watcher", presence: true });
    send(leaver, { type: "register", peer_id: "leaver" });
    const debug = vi.spyOn(console, "debug").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn");
    const before = watcher.sent.length;
    pipeline.closed(leaver, 1006);
    expect(watcher.sent.length).toBe(before);
    send(watcher, { type: "list_peers" });
    expect(watcher.sent.at(-1)).toMatchObject({ type: "peers", peers: ["leaver"] });
    expect(debug).toHaveBeenCalledWith(expect.stringContaining('"event":"socket_dropped"'));
    expect(warn).not.toHaveBeenCalled();
  });

  it("rebuilds the room from restored connection state, as after a wake", () => {
    const { pipeline, open, send } = setup();
    const alice = new MemoryConn("a");
    pipeline.restore(alice, { room: "r", peerId: "alice", presence: false, token: "t" });
    const bob = open("b");
    send(bob, { type: "register", peer_id: "bob" });
    send(alice, { type: "relay", to: "bob", data: "after wake" });
    expect(bob.sent.at(-1)).toEqual({ type: "relay", from: "alice", data: "after wake", seq: expect.any(Number) });
  });

  it("learns the room's name from restored state when the host did not know it", () => {
    const pipeline = new Pipeline<MemoryConn>({
      codec: seedCodec,
      revisionStore: { load: () => 0, save: () => {} },
      reservationStore: new MemoryReservationStore(),
      limits: DEFAULT_LIMITS,
      roomName: "",
      transport: {
        send: () => true,
        close: () => {},
        save: () => {},
        countConnections: () => 0,
        lastAutoResponse: () => undefined,
        schedule: () => {},
      },
    });
    pipeline.restore(new MemoryConn("a"), { room: "lobby" });
    expect(pipeline.roomName).toBe("lobby");
  });
});
