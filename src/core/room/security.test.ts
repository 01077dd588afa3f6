/** The room's side of docs/security.md: what it refuses, through an in-memory host. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryHost } from "../../../test/helpers/memory-host.js";

describe("join token subject", () => {
  it("lets a connection bound to a sub register only that id, keeping the connection", () => {
    const { connect, send } = memoryHost();
    const mallory = connect("m", { subject: "mallory" });
    send(mallory, { type: "register", peer_id: "alice", request_id: "r1" });
    expect(mallory.last()).toMatchObject({ type: "error", code: "forbidden", request_id: "r1" });
    expect(mallory.closedWith).toBeUndefined();
    send(mallory, { type: "register", peer_id: "mallory" });
    expect(mallory.last()).toMatchObject({ type: "registered", peer_id: "mallory" });
  });

  it("keeps the binding across a wake", () => {
    const first = memoryHost();
    const socket = first.connect("m", { subject: "mallory", address: "10.0.0.9" });
    const woken = memoryHost();
    woken.front.restore(socket, socket.saved);
    woken.send(socket, { type: "register", peer_id: "alice" });
    expect(socket.last()).toMatchObject({ type: "error", code: "forbidden" });
  });
});

describe("connections per address", () => {
  it("refuses the connection past MAX_CONNECTIONS_PER_IP with 429, and counts addresses apart", () => {
    const { connect, front } = memoryHost({ limits: { maxConnectionsPerIp: 2 } });
    const [a, b] = [connect("a", { address: "10.0.0.1" }), connect("b", { address: "10.0.0.1" })];
    const third = connect("c", { address: "10.0.0.1" });
    expect(third.last()).toEqual({ type: "http", status: 429, code: "too_many_connections" });
    expect(connect("d", { address: "10.0.0.2" }).closedWith).toBeUndefined();
    front.closed(a, 1000);
    expect(connect("e", { address: "10.0.0.1" }).closedWith).toBeUndefined();
    expect(b.closedWith).toBeUndefined();
  });

  it("is off by default: one address may fill the room", () => {
    const { connect } = memoryHost({ limits: { maxPeersPerRoom: 300 } });
    const sockets = Array.from({ length: 300 }, (_, i) => connect(`c${i}`, { address: "127.0.0.1" }));
    expect(sockets.every((s) => s.closedWith === undefined)).toBe(true);
  });
});

describe("presence churn", () => {
  // Found by an adversarial run: one client joining and leaving 35 times a second from new connections sent
  // 35,000 events/s to 500 watchers. Its leaves are now charged for their fan-out and their joins', per address.
  it("bounds the presence events one address's join/leave loop sends to watchers", () => {
    const limits = { presenceFanoutPerSecond: 5_000, presenceFanoutBurst: 50_000 };
    const { connect, send, front, tick } = memoryHost({ limits });
    const watchers = Array.from({ length: 500 }, (_, i) => {
      const w = connect(`w${i}`, { address: `10.1.${i >> 8}.${i & 255}` });
      send(w, { type: "register", peer_id: `w${i}`, presence: true });
      return w;
    });
    const eventsSeen = () => watchers[0]?.sent.filter((m) => m.type === "peer_joined" || m.type === "peer_left").length;
    const before = eventsSeen() ?? 0;
    let refused = 0;
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 35; i++) {
        const churner = connect("churn", { address: "192.0.2.66" });
        send(churner, { type: "register", peer_id: "churner", presence: true });
        if (churner.last()?.code === "rate_limited") refused++;
        front.closed(churner, 1000);
        tick(1_000 / 35);
      }
    }
    // Unbounded: 350 joins and 350 leaves to every watcher. Bounded: the burst, then 5,000 events/s over 500
    // watchers (5 cycles a second).
    const cycles = ((eventsSeen() ?? 0) - before) / 2;
    expect(cycles).toBeLessThanOrEqual(50_000 / 1_000 + 10 * 5 + 1);
    expect(refused).toBeGreaterThan(200);
  });

  it("lets a crowd behind one address (an office, a test run) join as fast as ever", () => {
    const { connect, send } = memoryHost();
    const peers = Array.from({ length: 500 }, (_, i) => {
      const p = connect(`p${i}`, { address: "127.0.0.1" });
      send(p, { type: "register", peer_id: `p${i}`, presence: true });
      return p;
    });
    expect(peers.every((p) => p.sent[0]?.type === "registered")).toBe(true);
  });
});

describe("without any address", () => {
  // Regression: with no client address (the self-hosted server saw none), every client shared one presence budget,
  // and one churner blocked everyone else's joins: 2 admitted of 20.
  it("lets no churner lock the others out of the room", () => {
    const { connect, send, front, tick } = memoryHost({
      limits: { presenceFanoutPerSecond: 50, presenceFanoutBurst: 100 },
    });
    for (let i = 0; i < 50; i++) {
      const w = connect(`w${i}`);
      send(w, { type: "register", peer_id: `w${i}`, presence: true });
    }
    for (let i = 0; i < 200; i++) {
      const churner = connect("churn");
      send(churner, { type: "register", peer_id: "churner" });
      front.closed(churner, 1000);
    }
    tick(10);
    const newcomers = Array.from({ length: 20 }, (_, i) => {
      const c = connect(`n${i}`);
      send(c, { type: "register", peer_id: `n${i}` });
      return c;
    });
    expect(newcomers.filter((c) => c.last()?.type === "registered").length).toBe(20);
  });
});

describe("a room that empties", () => {
  it("says so once nothing is left, not while an id is held, and then starts its revision again", () => {
    const { register, front, emptied, tick } = memoryHost({ limits: { resumeGraceMs: 1_000 } });
    const alice = register("alice");
    const bob = register("bob", { presence: true });
    front.closed(alice, 1006); // dropped: its id is held
    front.closed(bob, 1000);
    expect(emptied.count).toBe(0);
    tick(1_001);
    front.alarm();
    expect(emptied.count).toBe(1);
    expect(register("carol").last()).toMatchObject({ type: "registered", rev: 1 });
  });
});

describe("logs", () => {
  afterEach(() => vi.restoreAllMocks());

  // Relayed data carries SDP: IP addresses, fingerprints. Whatever goes wrong around a relay, the logs name the
  // room, the peer and the code, never the data.
  it("never carry relayed data, whatever goes wrong around a relay", () => {
    const lines: string[] = [];
    for (const level of ["log", "debug", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => lines.push(args.map(String).join(" ")));
    }
    const sdp = "v=0 c=IN IP4 203.0.113.77 a=fingerprint:sha-256 SECRET";
    const { register, send, front, tick } = memoryHost({
      limits: { ratePerSecond: 1, rateBurst: 3, abuseAfterMs: 1_000, outboundBurstBytes: 2_000 },
    });
    const alice = register("alice");
    const bob = register("bob");
    send(alice, { type: "relay", to: "nobody", data: { sdp } });
    send(alice, { type: "relay", to: "bob", data: { sdp: sdp.repeat(40) } }); // past bob's outbound budget: refused
    front.closed(bob, 1006);
    for (let i = 0; i < 5; i++) send(alice, { type: "relay", to: "bob", data: { sdp } });
    tick(1_000);
    for (let i = 0; i < 3; i++) send(alice, { type: "relay", to: "bob", data: { sdp } }); // closed for abuse
    const events = lines.map((line) => JSON.parse(line).event);
    expect(events).toEqual(expect.arrayContaining(["socket_dropped", "rate_abuse_closed"]));
    expect(alice.sent.map((m) => m.code)).toEqual(expect.arrayContaining(["unknown_peer", "target_busy"]));
    expect(lines.filter((line) => line.includes("203.0.113.77") || line.includes("SECRET"))).toEqual([]);
  });
});

describe("stats", () => {
  it("counts what came in and went out since the room woke, and what that bills", () => {
    const { register, send, front } = memoryHost();
    const alice = register("alice");
    register("bob");
    for (let i = 0; i < 38; i++) send(alice, { type: "relay", to: "bob", data: i });
    expect(front.stats()).toMatchObject({
      peers: 2,
      connections: 2,
      reservations: 0,
      mailboxMessages: 0,
      messagesIn: 40,
      messagesOut: 40,
      billedRequests: 2,
    });
  });
});
