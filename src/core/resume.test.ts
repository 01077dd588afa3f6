/** Resume tokens, reservations, the mailbox and liveness, through the pipeline over an in-memory host. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { seedCodec } from "./codecs/seed.js";
import type { ConnectionState } from "./connection-state.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { Pipeline } from "./pipeline.js";
import { MemoryReservationStore } from "./reservations.js";

// biome-ignore lint/suspicious/noExplicitAny: messages the tests read back are whatever the server sent
type Sent = any;

class Conn {
  sent: Sent[] = [];
  closedWith: number | undefined;
  saved: ConnectionState | undefined;
  pong: number | undefined;
  constructor(readonly name: string) {}
  last(): Sent {
    return this.sent.at(-1);
  }
}

function host(limits: Partial<Limits> = {}) {
  const clock = { now: 1_000_000 };
  const store = new MemoryReservationStore();
  const schedule: Array<number | undefined> = [];
  const pipeline = new Pipeline<Conn>({
    codec: seedCodec,
    revisionStore: { load: () => 0, save: () => {} },
    reservationStore: store,
    limits: { ...DEFAULT_LIMITS, ...limits },
    roomName: "r",
    now: () => clock.now,
    transport: {
      send: (c, text) => {
        if (c.closedWith !== undefined) return false;
        c.sent.push(JSON.parse(text));
        return true;
      },
      close: (c, code) => {
        c.closedWith = code;
      },
      save: (c, state) => {
        c.saved = state;
      },
      countConnections: () => 0,
      lastAutoResponse: (c) => c.pong,
      schedule: (at) => schedule.push(at),
    },
  });
  const connect = (name: string) => {
    const c = new Conn(name);
    pipeline.open(c);
    return c;
  };
  const send = (c: Conn, message: Record<string, unknown>) => pipeline.message(c, JSON.stringify(message));
  const register = (name: string, extra: Record<string, unknown> = {}) => {
    const c = connect(name);
    send(c, { type: "register", peer_id: name, ...extra });
    return c;
  };
  const tokenOf = (c: Conn): string => c.sent.find((m) => m.type === "registered")?.resume_token;
  return { pipeline, store, schedule, clock, connect, send, register, tokenOf };
}

afterEach(() => vi.restoreAllMocks());

describe("resume", () => {
  it("gives every registration a resume token", () => {
    const { register } = host();
    expect(register("alice").last()).toMatchObject({ type: "registered", resume_token: expect.any(String) });
  });

  it("takes an id over from a socket still open: the old one is closed with 4001 and forgotten", () => {
    const h = host();
    const watcher = h.register("watcher", { presence: true });
    const old = h.register("alice");
    const bob = h.register("bob");
    const seen = watcher.sent.length;
    const fresh = h.connect("alice-2");
    h.send(fresh, { type: "register", peer_id: "alice", resume_token: h.tokenOf(old) });
    expect(fresh.last()).toMatchObject({ type: "registered", peer_id: "alice", resumed: true });
    expect(old.closedWith).toBe(4001);
    // The old socket's saved registration is cleared, so a wake cannot bring it back.
    expect(old.saved).toEqual({ room: "r" });
    expect(watcher.sent.length).toBe(seen);
    h.send(bob, { type: "relay", to: "alice", data: "to the new socket" });
    expect(fresh.last()).toEqual({ type: "relay", from: "bob", data: "to the new socket" });
    // The old socket's close, when it comes, changes nothing.
    h.pipeline.closed(old, 4001);
    h.send(bob, { type: "list_peers" });
    expect(bob.last()).toMatchObject({ peers: expect.arrayContaining(["alice"]) });
  });

  it("rotates the token on resume: the old one no longer works", () => {
    const h = host();
    const first = h.register("alice");
    const oldToken = h.tokenOf(first);
    const second = h.connect("a2");
    h.send(second, { type: "register", peer_id: "alice", resume_token: oldToken });
    const newToken = h.tokenOf(second);
    expect(newToken).not.toBe(oldToken);
    const third = h.connect("a3");
    h.send(third, { type: "register", peer_id: "alice", resume_token: oldToken });
    expect(third.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
  });

  it("refuses a wrong token for a held id with peer_id_taken", () => {
    const h = host();
    h.register("alice");
    const thief = h.connect("thief");
    h.send(thief, { type: "register", peer_id: "alice", resume_token: "A".repeat(22) });
    expect(thief.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
  });

  it("registers normally with a token for an id nobody holds", () => {
    const h = host();
    const alice = h.connect("alice");
    h.send(alice, { type: "register", peer_id: "alice", resume_token: "whatever" });
    expect(alice.last()).toMatchObject({ type: "registered", peer_id: "alice" });
    expect(alice.last().resumed).toBeUndefined();
  });
});

describe("reservation and mailbox", () => {
  it("keeps relays for a dropped peer and delivers them in order right after it resumes", () => {
    const h = host();
    const alice = h.register("alice");
    const bob = h.register("bob");
    const token = h.tokenOf(bob);
    h.pipeline.closed(bob, 1006);
    for (let i = 0; i < 3; i++) h.send(alice, { type: "relay", to: "bob", data: { i } });
    expect(alice.sent.filter((m) => m.type === "error")).toEqual([]);
    const back = h.connect("bob-again");
    h.send(back, { type: "register", peer_id: "bob", resume_token: token });
    expect(back.sent).toEqual([
      expect.objectContaining({ type: "registered", resumed: true }),
      { type: "relay", from: "alice", data: { i: 0 } },
      { type: "relay", from: "alice", data: { i: 1 } },
      { type: "relay", from: "alice", data: { i: 2 } },
    ]);
    expect(h.store.kept.size).toBe(0);
    expect(h.store.reservations.size).toBe(0);
  });

  it("refuses the id to anyone without the token while it is held", () => {
    const h = host();
    const bob = h.register("bob");
    h.pipeline.closed(bob, 1006);
    const other = h.connect("other");
    h.send(other, { type: "register", peer_id: "bob" });
    expect(other.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
  });

  it("tells every sender how many relays were not delivered when the grace period ends, once per target", () => {
    const h = host({ resumeGraceMs: 30_000 });
    const watcher = h.register("watcher", { presence: true });
    const alice = h.register("alice");
    const carol = h.register("carol");
    const bob = h.register("bob");
    h.pipeline.closed(bob, 1011);
    expect(h.schedule.at(-1)).toBe(h.clock.now + 30_000);
    h.send(alice, { type: "relay", to: "bob", data: 1 });
    h.send(alice, { type: "relay", to: "bob", data: 2 });
    h.send(carol, { type: "relay", to: "bob", data: 3 });
    h.clock.now += 30_000;
    h.pipeline.alarm();
    expect(alice.last()).toMatchObject({ type: "error", code: "undeliverable", to: "bob", count: 2 });
    expect(carol.last()).toMatchObject({ type: "error", code: "undeliverable", to: "bob", count: 1 });
    expect(watcher.last()).toMatchObject({ type: "peer_left", peer_id: "bob" });
    expect(h.store.kept.size).toBe(0);
    // The id is free again.
    expect(h.register("bob").last()).toMatchObject({ type: "registered" });
  });

  it("answers mailbox_full past a peer's bound, keeping nothing of that message", () => {
    const h = host({ mailboxMaxMessages: 2 });
    const alice = h.register("alice");
    const bob = h.register("bob");
    h.pipeline.closed(bob, 1006);
    h.send(alice, { type: "relay", to: "bob", data: 1 });
    h.send(alice, { type: "relay", to: "bob", data: 2 });
    h.send(alice, { type: "relay", to: "bob", data: 3, request_id: "third" });
    expect(alice.last()).toMatchObject({ type: "error", code: "mailbox_full", request_id: "third" });
    expect(h.store.kept.get("bob")?.length).toBe(2);
  });

  it("bounds a mailbox's bytes and the room's, naming the limit", () => {
    const h = host({ mailboxMaxBytes: 100, roomMailboxMaxBytes: 150 });
    const alice = h.register("alice");
    const [bob, carol] = [h.register("bob"), h.register("carol")];
    h.pipeline.closed(bob, 1006);
    h.pipeline.closed(carol, 1006);
    h.send(alice, { type: "relay", to: "bob", data: "x".repeat(120) });
    expect(alice.last()).toMatchObject({ code: "mailbox_full", error: expect.stringContaining("100") });
    h.send(alice, { type: "relay", to: "bob", data: "x".repeat(80) });
    h.send(alice, { type: "relay", to: "carol", data: "x".repeat(80) });
    expect(alice.last()).toMatchObject({ code: "mailbox_full", error: expect.stringContaining("150") });
  });

  it("answers unknown_peer at once for an id neither registered nor held", () => {
    const h = host();
    const alice = h.register("alice");
    h.send(alice, { type: "relay", to: "ghost", data: 1 });
    expect(alice.last()).toMatchObject({ type: "error", code: "unknown_peer" });
  });

  it("writes nothing to storage for sessions that end cleanly", () => {
    const h = host();
    const [alice, bob] = [h.register("alice"), h.register("bob")];
    h.send(alice, { type: "relay", to: "bob", data: 1 });
    h.pipeline.closed(alice, 1000);
    h.pipeline.closed(bob, 1001);
    expect(h.store.writes).toBe(0);
    expect(h.schedule).toEqual([]);
  });
});

describe("liveness", () => {
  it("drops a target silent past the idle timeout when a relay meets it, keeping the relay", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const alice = h.register("alice");
    const frozen = h.register("frozen");
    h.clock.now += 121_000;
    h.send(alice, { type: "relay", to: "frozen", data: "kept" });
    expect(frozen.closedWith).toBe(4002);
    expect(frozen.saved).toEqual({ room: "r" });
    expect(h.store.kept.get("frozen")).toEqual([expect.objectContaining({ from: "alice", data: '"kept"' })]);
  });

  it("counts a keepalive the runtime answered as a sign of life", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const alice = h.register("alice");
    const quiet = h.register("quiet");
    h.clock.now += 121_000;
    quiet.pong = h.clock.now - 1_000;
    h.send(alice, { type: "relay", to: "quiet", data: "live" });
    expect(quiet.last()).toEqual({ type: "relay", from: "alice", data: "live" });
  });

  it("sweeps silent connections on list_peers, and lets a stale holder's id be resumed", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const stale = h.register("stale");
    const token = h.tokenOf(stale);
    h.clock.now += 121_000;
    const lister = h.connect("lister");
    h.send(lister, { type: "list_peers" });
    expect(stale.closedWith).toBe(4002);
    expect(lister.last()).toMatchObject({ type: "peers", peers: ["stale"] });
    const back = h.connect("back");
    h.send(back, { type: "register", peer_id: "stale", resume_token: token });
    expect(back.last()).toMatchObject({ type: "registered", resumed: true });
  });

  it("sweeps by alarm, at most once per idle timeout, only while presence watchers wait", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const alice = h.register("alice");
    expect(h.schedule).toEqual([]);
    const watcher = h.register("watcher", { presence: true });
    expect(h.schedule.at(-1)).toBe(1_000_000 + 120_000);
    h.clock.now += 121_000; // alarms come at or after the time asked
    watcher.pong = h.clock.now;
    h.pipeline.alarm();
    expect(alice.closedWith).toBe(4002);
    expect(watcher.closedWith).toBeUndefined();
    expect(h.schedule.at(-1)).toBe(h.clock.now + 30_000);
  });
});

describe("limits on what one message can cost", () => {
  it("charges a large peer list against the sender's rate", () => {
    const h = host({ ratePerSecond: 1, rateBurst: 5 });
    for (let i = 0; i < 1_000; i++) h.register(`p${i}`);
    const lister = h.connect("lister");
    h.send(lister, { type: "list_peers" });
    expect(lister.last()).toMatchObject({ type: "peers" });
    h.send(lister, { type: "list_peers", request_id: "again" });
    expect(lister.last()).toMatchObject({ type: "error", code: "rate_limited", request_id: "again" });
  });

  it("pages the peer list in id order", () => {
    const h = host();
    for (const id of ["d", "a", "c", "b"]) h.register(id);
    const lister = h.connect("lister");
    h.send(lister, { type: "list_peers", limit: 3 });
    expect(lister.last()).toMatchObject({ peers: ["a", "b", "c"], next: "c" });
    h.send(lister, { type: "list_peers", limit: 3, after: "c" });
    expect(lister.last()).toMatchObject({ peers: ["d"] });
    expect(lister.last().next).toBeUndefined();
  });

  it("clears the registration of a socket closed for abuse, so it cannot come back as a ghost after a wake", () => {
    const h = host({ ratePerSecond: 1, rateBurst: 2, abuseAfterMs: 1_000 });
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const abuser = h.register("abuser");
    for (let i = 0; i < 3; i++) h.send(abuser, { type: "ping" });
    h.clock.now += 1_000;
    h.send(abuser, { type: "ping" });
    h.send(abuser, { type: "ping" });
    expect(abuser.closedWith).toBe(1008);
    expect(abuser.saved).toEqual({ room: "r" });
  });
});
