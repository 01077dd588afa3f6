/** The connection front over an in-memory host, with the room behind it: what every connection goes through. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryConn, memoryHost } from "../../../test/helpers/memory-host.js";
import type { Limits } from "../config/limits.js";

const setup = (limits: Partial<Limits> = {}) => memoryHost({ limits });

afterEach(() => vi.restoreAllMocks());

describe("ConnectionFront", () => {
  it("relays between registered connections, keeping each registration in its attachment", () => {
    const { connect, send, clock } = setup();
    const [alice, bob] = [connect("a", { address: "192.0.2.1" }), connect("b")];
    send(alice, { type: "register", peer_id: "alice" });
    send(bob, { type: "register", peer_id: "bob" });
    send(alice, { type: "relay", to: "bob", data: { sdp: "v=0" } });
    expect(bob.last()).toEqual({ type: "relay", from: "alice", data: { sdp: "v=0" }, seq: expect.any(Number) });
    expect(alice.saved).toEqual({
      v: 1,
      name: "r",
      opened: clock.now,
      address: "192.0.2.1",
      state: { peerId: "alice", presence: false, token: expect.any(String), seq: 1_000 },
    });
  });

  // Regression: a socket that never registered had no attachment, so after a wake it was given a fresh opening
  // time (and no address): 12 idle sockets held a 12-socket namespace through three wakes.
  it("saves when a connection opened and where from the moment it is accepted", () => {
    const { connect, clock } = setup();
    const idle = connect("idle", { address: "198.51.100.9", subject: "sam" });
    expect(idle.saved).toEqual({ v: 1, name: "r", opened: clock.now, address: "198.51.100.9", subject: "sam" });
  });

  it("keeps the register timeout's clock across a wake, so idle sockets cannot hold a full room", () => {
    const first = setup({ maxPeersPerRoom: 2, registerTimeoutMs: 30_000 });
    const idle = [first.connect("i1"), first.connect("i2")];
    // The object sleeps; a new instance wakes 31 s later over the same sockets.
    const woken = memoryHost({
      limits: { maxPeersPerRoom: 2, registerTimeoutMs: 30_000 },
      startAt: first.clock.now + 31_000,
    });
    for (const socket of idle) {
      woken.connections.push(socket);
      woken.front.restore(socket, socket.saved);
    }
    const newcomer = woken.register("newcomer");
    expect(idle.map((s) => s.closedWith)).toEqual([4004, 4004]);
    expect(newcomer.last()).toMatchObject({ type: "registered" });
  });

  it("closes only the late ones after a wake, whatever order the host gives the sockets back in", () => {
    const limits = { maxPeersPerRoom: 2, registerTimeoutMs: 30_000 };
    const first = setup(limits);
    const early = first.connect("early");
    first.tick(20_000);
    const recent = first.connect("recent");
    const woken = memoryHost({ limits, startAt: first.clock.now + 15_000 });
    for (const socket of [recent, early]) {
      woken.connections.push(socket);
      woken.front.restore(socket, socket.saved);
    }
    woken.register("newcomer");
    expect([early.closedWith, recent.closedWith]).toEqual([4004, undefined]);
  });

  it("keeps the per-address count across a wake", () => {
    const first = setup({ maxConnectionsPerIp: 2 });
    const held = [first.connect("a", { address: "203.0.113.5" }), first.connect("b", { address: "203.0.113.5" })];
    const woken = memoryHost({ limits: { maxConnectionsPerIp: 2 } });
    for (const socket of held) {
      woken.connections.push(socket);
      woken.front.restore(socket, socket.saved);
    }
    expect(woken.connect("c", { address: "203.0.113.5" }).last()).toMatchObject({ status: 429 });
    expect(woken.connect("d", { address: "203.0.113.6" }).closedWith).toBeUndefined();
  });

  it("turns away a connection past the room's limit with room_full and close 1013", () => {
    const { connect } = setup({ maxPeersPerRoom: 2 });
    connect("a");
    connect("b");
    const late = connect("c");
    expect(late.sent).toMatchObject([{ type: "error", code: "room_full", error: "room is full: 2 of 2 connections" }]);
    expect(late.closedWith).toBe(1013);
  });

  it("recounts from the host when the cached count says full, so a missed close never keeps a room full", () => {
    const { connect } = setup({ maxPeersPerRoom: 1 });
    const first = connect("a");
    first.closedWith = 1006; // gone, but the front never heard of it
    const second = connect("b");
    expect(second.closedWith).toBeUndefined();
    expect(second.sent).toEqual([]);
  });

  // Regression: a socket the server had closed still counted until its client answered the Close frame.
  it("counts a connection out as soon as the server closes it", () => {
    const { register, connect, send, tokenOf, front } = setup({ maxPeersPerRoom: 2 });
    const old = register("alice");
    const fresh = connect("alice-again");
    send(fresh, { type: "register", peer_id: "alice", resume_token: tokenOf(old) });
    expect(old.closedWith).toBe(4001);
    expect(front.stats().connections).toBe(1);
    expect(connect("third").closedWith).toBeUndefined();
  });

  // Regression: a socket error was not counted out of admission, so each one left the room a place short.
  it("counts a connection out when the host reports it failed", () => {
    const { register, front } = setup();
    const alice = register("alice");
    vi.spyOn(console, "debug").mockImplementation(() => {});
    front.failed(alice, new Error("reset"));
    expect(front.stats().connections).toBe(0);
    front.closed(alice, 1006); // and the close that may follow counts nothing twice
    expect(front.stats().connections).toBe(0);
  });

  it("answers a relay whose target is already closing with unknown_peer, echoing the request id", () => {
    const { register, send } = setup();
    const alice = register("alice");
    const bob = register("bob");
    bob.closedWith = 1006;
    send(alice, { type: "relay", to: "bob", data: 1, request_id: "r" });
    expect(alice.last()).toMatchObject({ type: "error", code: "unknown_peer", request_id: "r" });
  });

  it("answers over the rate with rate_limited, and closes a connection still over it after the window", () => {
    const { connect, send, tick } = setup({ ratePerSecond: 1, rateBurst: 2, abuseAfterMs: 1_000 });
    const abuser = connect("a");
    send(abuser, { type: "ping" });
    send(abuser, { type: "ping" });
    send(abuser, { type: "ping", request_id: "p" });
    expect(abuser.last()).toMatchObject({ type: "error", code: "rate_limited", request_id: "p" });
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
    const { connect, send } = setup({ ratePerSecond: 1, rateBurst: 1 });
    const flooder = connect("a");
    send(flooder, { type: "ping" });
    const parse = vi.spyOn(JSON, "parse");
    send(flooder, { type: "relay", to: "x", data: "y".repeat(1_000), request_id: "late" });
    expect(parse.mock.calls.filter(([text]) => String(text).includes("yyy"))).toEqual([]);
    expect(flooder.last()).toMatchObject({ type: "error", code: "rate_limited", request_id: "late" });
  });

  // Regression: an exception while handling a message answered internal_error without the message's request_id,
  // so the client SDK's connect() never settled when register failed that way.
  it("echoes the request id on internal_error, so a waiting request settles", () => {
    const host = memoryHost({
      transport: {
        save: () => {
          throw new Error("storage unavailable");
        },
      },
    });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const alice = new MemoryConn("a");
    host.front.message(alice, JSON.stringify({ type: "register", peer_id: "alice", request_id: "reg-1" }));
    expect(alice.last()).toMatchObject({ type: "error", code: "internal_error", request_id: "reg-1" });
    expect(error).toHaveBeenCalledWith(expect.stringContaining('"event":"message_failed"'));
    expect(error).toHaveBeenCalledWith(expect.not.stringContaining("storage unavailable\\n"));
  });

  it("tells presence watchers at once when a connection says goodbye (1000 or 1001)", () => {
    for (const code of [1000, 1001]) {
      const { register, close, store } = setup();
      const watcher = register("watcher", { presence: true });
      const leaver = register("leaver");
      close(leaver, code);
      expect(watcher.last()).toMatchObject({ type: "peer_left", peer_id: "leaver" });
      expect(store.writes).toBe(0);
    }
  });

  it("holds a dropped peer's id (1006) without a word to watchers, and logs the drop at debug only", () => {
    const { register, close, send } = setup();
    const watcher = register("watcher", { presence: true });
    const leaver = register("leaver");
    const debug = vi.spyOn(console, "debug").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn");
    const before = watcher.sent.length;
    close(leaver, 1006);
    expect(watcher.sent.length).toBe(before);
    send(watcher, { type: "list_peers" });
    expect(watcher.last()).toMatchObject({ type: "peers", peers: ["leaver"] });
    expect(debug).toHaveBeenCalledWith(expect.stringContaining('"event":"socket_dropped"'));
    expect(warn).not.toHaveBeenCalled();
  });

  // Regression: a relay that dropped its silent target reserved the id without asking for the alarm that ends
  // the reservation, so senders were never told undeliverable and the id stayed held.
  it("asks for the wake-up that ends a reservation made by a relay", () => {
    const { register, send, schedule, clock } = setup({ idleTimeoutMs: 10_000, resumeGraceMs: 5_000 });
    const alice = register("alice");
    const frozen = register("frozen");
    frozen.pong = clock.now;
    clock.now += 11_000;
    send(alice, { type: "relay", to: "frozen", data: "kept" });
    expect(frozen.closedWith).toBe(4002);
    expect(schedule.at(-1)).toBe(clock.now + 5_000);
  });

  it("rebuilds the room from restored attachments, as after a wake", () => {
    const first = setup();
    const alice = first.register("alice");
    const woken = memoryHost();
    woken.connections.push(alice);
    woken.front.restore(alice, alice.saved);
    const bob = woken.register("bob");
    woken.send(alice, { type: "relay", to: "bob", data: "after wake" });
    expect(bob.last()).toEqual({ type: "relay", from: "alice", data: "after wake", seq: expect.any(Number) });
  });

  it("takes a socket it let go before a wake as nothing: not counted, not restored", () => {
    const first = setup();
    const gone = first.register("alice");
    const fresh = first.connect("fresh");
    first.send(fresh, { type: "register", peer_id: "alice", resume_token: first.tokenOf(gone) });
    const woken = memoryHost({ limits: { maxPeersPerRoom: 1 } });
    woken.front.restore(gone, gone.saved);
    expect(woken.front.stats()).toMatchObject({ connections: 0, peers: 0 });
  });

  it("reads an attachment it cannot trust as none, never failing on it", () => {
    const { front } = memoryHost({ name: "" });
    for (const junk of [null, "x", { v: 99, name: "r", opened: 1 }, { v: 1, name: "a/b", opened: 1 }]) {
      front.restore(new MemoryConn("junk"), junk);
    }
    expect(front.stats()).toMatchObject({ peers: 0 });
  });

  it("learns the room's name from a restored attachment when the host did not know it", () => {
    const { front } = memoryHost({ name: "" });
    front.restore(new MemoryConn("a"), { v: 1, name: "lobby", opened: 1 });
    expect(front.name).toBe("lobby");
  });
});
