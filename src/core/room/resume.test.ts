/** Resume tokens, reservations, the mailbox and liveness, through the pipeline over an in-memory host. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryHost } from "../../../test/helpers/memory-host.js";
import type { Limits } from "../config/limits.js";

const host = (limits: Partial<Limits> = {}, startAt?: number) => memoryHost({ limits, startAt });

/** The attachment of a connection the server let go: nothing in it for a wake to bring back. */
const LET_GO = { v: 1, name: "r", opened: expect.any(Number), closed: true };

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
    expect(old.saved).toEqual(LET_GO);
    expect(watcher.sent.length).toBe(seen);
    h.send(bob, { type: "relay", to: "alice", data: "to the new socket" });
    expect(fresh.last()).toEqual({ type: "relay", from: "bob", data: "to the new socket", seq: expect.any(Number) });
    // The old socket's close, when it comes, changes nothing.
    h.front.closed(old, 4001);
    h.send(bob, { type: "list_peers" });
    expect(bob.last()).toMatchObject({ peers: expect.arrayContaining(["alice"]) });
  });

  // Regression: each resume answered with a new token, so a resume whose answer was lost in a drop (or a kill) left
  // the client holding a token the room no longer took: peer_id_taken, its id locked away from it for the grace.
  it("keeps the token across resumes, so a resume whose answer never arrived can be made again", () => {
    const h = host();
    const first = h.register("alice");
    const token = h.tokenOf(first);
    h.front.closed(first, 1006);
    const second = h.connect("a2");
    h.send(second, { type: "register", peer_id: "alice", resume_token: token });
    expect(h.tokenOf(second)).toBe(token);
    // Its answer is lost: the connection drops before the client reads it, and the client tries again.
    h.front.closed(second, 1006);
    const third = h.connect("a3");
    h.send(third, { type: "register", peer_id: "alice", resume_token: token });
    expect(third.last()).toMatchObject({ type: "registered", resumed: true, resume_token: token });
    // The same over a socket still open (a half-open connection the room has not seen end).
    const fourth = h.connect("a4");
    h.send(fourth, { type: "register", peer_id: "alice", resume_token: token });
    expect(fourth.last()).toMatchObject({ type: "registered", resumed: true });
    expect(third.closedWith).toBe(4001);
  });

  it("gives a new token to a new registration of an id that was let go", () => {
    const h = host();
    const first = h.register("alice");
    const token = h.tokenOf(first);
    h.front.closed(first, 1000);
    expect(h.tokenOf(h.register("alice"))).not.toBe(token);
  });

  it("refuses a wrong token for a held id with peer_id_taken", () => {
    const h = host();
    h.register("alice");
    const thief = h.connect("thief");
    h.send(thief, { type: "register", peer_id: "alice", resume_token: "A".repeat(22) });
    expect(thief.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
  });

  it("registers normally with a token for an id nobody holds, one not shaped as a token replaced", () => {
    const h = host();
    const alice = h.connect("alice");
    h.send(alice, { type: "register", peer_id: "alice", resume_token: "whatever" });
    expect(alice.last()).toMatchObject({ type: "registered", peer_id: "alice" });
    expect(alice.last().resumed).toBeUndefined();
    expect(h.tokenOf(alice)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  // Regression: a first registration's token was always the server's, so when its answer was lost (a drop or a
  // kill with it in flight) the client could not take its own id back: peer_id_taken for the grace period.
  it("takes a client's own token for a new registration, so one whose answer was lost can be made again", () => {
    const h = host();
    const own = "Own-token_drawn-by-me0";
    const first = h.connect("a1");
    h.send(first, { type: "register", peer_id: "alice", resume_token: own });
    expect(first.last()).toMatchObject({ type: "registered", resume_token: own });
    expect(first.last().resumed).toBeUndefined();
    h.front.closed(first, 1006);
    const again = h.connect("a2");
    h.send(again, { type: "register", peer_id: "alice", resume_token: own });
    expect(again.last()).toMatchObject({ type: "registered", resumed: true, resume_token: own });
    // Anyone else's token is still refused.
    h.front.closed(again, 1006);
    const thief = h.connect("thief");
    h.send(thief, { type: "register", peer_id: "alice", resume_token: "Someone-elses-token-00" });
    expect(thief.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
  });
});

describe("reservation and mailbox", () => {
  it("keeps relays for a dropped peer and delivers them in order right after it resumes", () => {
    const h = host();
    const alice = h.register("alice");
    const bob = h.register("bob");
    const token = h.tokenOf(bob);
    h.front.closed(bob, 1006);
    for (let i = 0; i < 3; i++) h.send(alice, { type: "relay", to: "bob", data: { i } });
    expect(alice.sent.filter((m) => m.type === "error")).toEqual([]);
    const back = h.connect("bob-again");
    h.send(back, { type: "register", peer_id: "bob", resume_token: token });
    expect(back.sent).toEqual([
      expect.objectContaining({ type: "registered", resumed: true }),
      { type: "relay", from: "alice", data: { i: 0 }, seq: 1 },
      { type: "relay", from: "alice", data: { i: 1 }, seq: 2 },
      { type: "relay", from: "alice", data: { i: 2 }, seq: 3 },
    ]);
    expect(h.store.kept.size).toBe(0);
    expect(h.store.reservations.size).toBe(0);
  });

  it("refuses the id to anyone without the token while it is held", () => {
    const h = host();
    const bob = h.register("bob");
    h.front.closed(bob, 1006);
    const other = h.connect("other");
    h.send(other, { type: "register", peer_id: "bob" });
    expect(other.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
  });

  // Regression: an id whose time was up stayed taken until the alarm came, which may be late (a server that was
  // down when it was due).
  it("frees an id whose time is up even before the alarm comes, telling its senders", () => {
    const h = host({ resumeGraceMs: 1_000 });
    const alice = h.register("alice");
    const bob = h.register("bob");
    h.front.closed(bob, 1006);
    h.send(alice, { type: "relay", to: "bob", data: "kept" });
    h.tick(1_000);
    const other = h.connect("other");
    h.send(other, { type: "register", peer_id: "bob" });
    expect(other.last()).toMatchObject({ type: "registered", peer_id: "bob" });
    expect(alice.last()).toMatchObject({ type: "error", code: "undeliverable", to: "bob", count: 1 });
  });

  it("tells every sender how many relays were not delivered when the grace period ends, once per target", () => {
    const h = host({ resumeGraceMs: 30_000 });
    const watcher = h.register("watcher", { presence: true });
    const alice = h.register("alice");
    const carol = h.register("carol");
    const bob = h.register("bob");
    h.front.closed(bob, 1011);
    expect(h.schedule.at(-1)).toBe(h.clock.now + 30_000);
    h.send(alice, { type: "relay", to: "bob", data: 1 });
    h.send(alice, { type: "relay", to: "bob", data: 2 });
    h.send(carol, { type: "relay", to: "bob", data: 3 });
    h.clock.now += 30_000;
    h.front.alarm();
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
    h.front.closed(bob, 1006);
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
    h.front.closed(bob, 1006);
    h.front.closed(carol, 1006);
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
    h.front.closed(alice, 1000);
    h.front.closed(bob, 1001);
    expect(h.store.writes).toBe(0);
    expect(h.schedule).toEqual([]);
  });
});

describe("liveness", () => {
  // Regression: a client written against the seed protocol alone (which has no ping) that waited silently past
  // IDLE_TIMEOUT_SECONDS was closed with 4002 by the first relay to it, and its relay went to a mailbox it never
  // resumed; a silent caller was swept first and never heard undeliverable.
  it("never takes a connection that never pinged as dead, however long it is silent", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const watcher = h.register("watcher", { presence: true });
    const alice = h.register("alice");
    const waiting = h.register("waiting");
    h.clock.now += 6 * 3_600_000;
    h.front.alarm();
    h.send(alice, { type: "list_peers" });
    h.send(alice, { type: "relay", to: "waiting", data: "hours later" });
    expect(waiting.last()).toEqual({ type: "relay", from: "alice", data: "hours later", seq: expect.any(Number) });
    expect([waiting.closedWith, alice.closedWith, watcher.closedWith]).toEqual([undefined, undefined, undefined]);
    expect(watcher.sent.filter((m) => m.type === "peer_left")).toEqual([]);
  });

  it("drops a target that kept alive and then fell silent past the idle timeout, keeping the relay", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const alice = h.register("alice");
    const frozen = h.register("frozen");
    frozen.pong = h.clock.now; // one keepalive answered by the runtime, then nothing
    h.clock.now += 121_000;
    h.send(alice, { type: "relay", to: "frozen", data: "kept" });
    expect(frozen.closedWith).toBe(4002);
    expect(frozen.saved).toEqual(LET_GO);
    expect(h.store.kept.get("frozen")).toEqual([expect.objectContaining({ from: "alice", data: '"kept"' })]);
  });

  it("takes a ping that reached the room as keeping alive, too", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const alice = h.register("alice");
    const frozen = h.register("frozen");
    h.send(frozen, { type: "ping", request_id: "k" });
    expect(frozen.saved).toMatchObject({ keepsAlive: true });
    h.clock.now += 121_000;
    h.send(alice, { type: "relay", to: "frozen", data: "kept" });
    expect(frozen.closedWith).toBe(4002);
  });

  it("counts a keepalive the runtime answered as a sign of life", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const alice = h.register("alice");
    const quiet = h.register("quiet");
    h.clock.now += 121_000;
    quiet.pong = h.clock.now - 1_000;
    h.send(alice, { type: "relay", to: "quiet", data: "live" });
    expect(quiet.last()).toEqual({ type: "relay", from: "alice", data: "live", seq: expect.any(Number) });
  });

  it("sweeps connections that fell silent on list_peers, and lets a stale holder's id be resumed", () => {
    const h = host({ idleTimeoutMs: 120_000 });
    const stale = h.register("stale");
    stale.pong = h.clock.now;
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
    const h = host({ idleTimeoutMs: 120_000, resumeGraceMs: 30_000 });
    const alice = h.register("alice");
    alice.pong = h.clock.now;
    expect(h.schedule).toEqual([]);
    const watcher = h.register("watcher", { presence: true });
    expect(h.schedule.at(-1)).toBe(1_000_000 + 120_000);
    h.clock.now += 121_000; // alarms come at or after the time asked
    watcher.pong = h.clock.now;
    h.front.alarm();
    expect(alice.closedWith).toBe(4002);
    expect(watcher.closedWith).toBeUndefined();
    expect(h.schedule.at(-1)).toBe(h.clock.now + 30_000);
  });
});

describe("liveness across a wake", () => {
  it("keeps silence measured across hibernation: a pinging connection's last sign of life is saved with it", () => {
    const first = host({ idleTimeoutMs: 120_000 });
    const frozen = first.register("frozen");
    first.send(frozen, { type: "ping", request_id: "k" });
    const saved = frozen.saved;
    // The room sleeps and a fresh instance starts from the saved state, 121 s after the last sign of life.
    const second = host({ idleTimeoutMs: 120_000 }, first.clock.now + 121_000);
    second.front.restore(frozen, saved);
    const alice = second.register("alice");
    second.send(alice, { type: "relay", to: "frozen", data: "after the wake" });
    expect(frozen.closedWith).toBe(4002);
    expect(second.store.kept.get("frozen")?.length).toBe(1);
  });

  it("keeps a silent client that never pinged across a wake, still live", () => {
    const first = host({ idleTimeoutMs: 120_000 });
    const waiting = first.register("waiting");
    const second = host({ idleTimeoutMs: 120_000 }, first.clock.now + 3_600_000);
    second.front.restore(waiting, waiting.saved);
    const alice = second.register("alice");
    second.send(alice, { type: "relay", to: "waiting", data: "after the wake" });
    expect(waiting.closedWith).toBeUndefined();
    expect(waiting.last()).toMatchObject({ type: "relay", from: "alice", data: "after the wake" });
  });

  it("sweeps at the first alarm of a fresh instance, which an earlier instance asked for", () => {
    const first = host({ idleTimeoutMs: 120_000 });
    const watcher = first.register("watcher", { presence: true });
    const frozen = first.register("frozen");
    frozen.pong = first.clock.now;
    // The instance the alarm wakes is made at the alarm's time.
    const second = host({ idleTimeoutMs: 120_000 }, first.clock.now + 121_000);
    watcher.pong = second.clock.now;
    second.front.restore(watcher, watcher.saved);
    second.front.restore(frozen, frozen.saved);
    second.front.alarm();
    expect(frozen.closedWith).toBe(4002);
    expect(watcher.closedWith).toBeUndefined();
  });
});

describe("the register timeout", () => {
  // Regression: one client opened 5,000 sockets that never registered and held them; everyone else got room_full.
  it("closes sockets that never registered when a newcomer needs their place", () => {
    const h = host({ maxPeersPerRoom: 2, registerTimeoutMs: 30_000 });
    const lurker = h.connect("lurker");
    h.send(lurker, { type: "list_peers" }); // allowed before registering
    expect(lurker.last()).toMatchObject({ type: "peers" });
    h.register("alice");
    expect(h.connect("early").closedWith).toBe(1013); // full, and the lurker is not late yet
    h.tick(31_000);
    const late = h.register("late");
    expect(lurker.closedWith).toBe(4004);
    expect(late.closedWith).toBeUndefined();
    expect(late.last()).toMatchObject({ type: "registered" });
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

  // Regression: the outbound budget counted what others sent to a connection, so 45 relays/s of 60 KB (within the
  // message rate) closed a victim that read everything with 4003 after 10 s, every time it resumed.
  it("refuses relays a receiver cannot take to their sender (target_busy), never closing the receiver", () => {
    const h = host({ outboundBytesPerSecond: 1_000, outboundBurstBytes: 2_500 });
    const alice = h.register("alice");
    const victim = h.register("victim");
    const big = "x".repeat(1_000);
    h.send(alice, { type: "relay", to: "victim", data: big, request_id: "r1" });
    h.send(alice, { type: "relay", to: "victim", data: big, request_id: "r2" });
    h.send(alice, { type: "relay", to: "victim", data: big, request_id: "r3" });
    expect(victim.closedWith).toBeUndefined();
    expect(victim.sent.filter((m) => m.type === "relay").length).toBe(2);
    expect(alice.last()).toMatchObject({ type: "error", code: "target_busy", to: "victim", request_id: "r3" });
    expect(h.store.kept.get("victim")).toBeUndefined();
    // The budget refills with time: a second and a half later the same relay goes through.
    h.clock.now += 1_500;
    h.send(alice, { type: "relay", to: "victim", data: big });
    expect(victim.last()).toMatchObject({ type: "relay", from: "alice" });
    expect(victim.closedWith).toBeUndefined();
  });

  it("charges what a sender has the server send to its own byte rate, refusing past it", () => {
    const h = host({ byteRatePerSecond: 1_000, byteRateBurst: 2_500 });
    const alice = h.register("alice");
    const bob = h.register("bob");
    const big = "x".repeat(1_000);
    for (let i = 0; i < 3; i++) h.send(alice, { type: "relay", to: "bob", data: big, request_id: `r${i}` });
    expect(bob.sent.filter((m) => m.type === "relay").length).toBe(2);
    expect(alice.last()).toMatchObject({ type: "error", code: "rate_limited", request_id: "r2" });
    expect(alice.last().error).toMatch(/byte rate of 1000 bytes\/s \(bursts of 2500\)/);
    h.clock.now += 1_100;
    h.send(alice, { type: "relay", to: "bob", data: big });
    expect(bob.sent.filter((m) => m.type === "relay").length).toBe(3);
  });

  it("closes a connection only for what it asked for itself past its budget, holding its id", () => {
    const h = host({ outboundBytesPerSecond: 100, outboundBurstBytes: 400 });
    vi.spyOn(console, "warn").mockImplementation(() => {});
    for (let i = 0; i < 30; i++) h.register(`peer-with-a-long-name-${i}`);
    const asker = h.register("asker");
    expect(asker.closedWith).toBe(4003);
    const back = h.connect("back");
    h.send(back, { type: "register", peer_id: "asker" });
    expect(back.last()).toMatchObject({ type: "error", code: "peer_id_taken" });
  });

  it("replays, on resume, what the dropped connection was handed after the last_seq its client reports", () => {
    const h = host();
    const alice = h.register("alice");
    const bob = h.register("bob");
    for (let i = 1; i <= 4; i++) h.send(alice, { type: "relay", to: "bob", data: i });
    expect(bob.last()).toMatchObject({ data: 4, seq: 4 });
    // The network drops: the client got relays 1 and 2; 3 and 4 were in flight.
    h.front.closed(bob, 1006);
    h.send(alice, { type: "relay", to: "bob", data: 5 });
    const back = h.connect("back");
    h.send(back, { type: "register", peer_id: "bob", resume_token: h.tokenOf(bob), last_seq: 2 });
    expect(back.sent.slice(1).map((m) => [m.data, m.seq])).toEqual([
      [3, 1],
      [4, 2],
      [5, 3],
    ]);
  });

  it("replays the same way when the old connection is taken over while the server still thinks it open", () => {
    const h = host();
    const alice = h.register("alice");
    const bob = h.register("bob");
    for (let i = 1; i <= 3; i++) h.send(alice, { type: "relay", to: "bob", data: i });
    const back = h.connect("back");
    h.send(back, { type: "register", peer_id: "bob", resume_token: h.tokenOf(bob), last_seq: 1 });
    expect(back.sent.slice(1).map((m) => m.data)).toEqual([2, 3]);
    expect(bob.closedWith).toBe(4001);
  });

  it("numbers relays past what it numbered before a wake, so last_seq never skips one that was lost", () => {
    const first = host();
    const alice = first.register("alice");
    const bob = first.register("bob");
    first.send(alice, { type: "relay", to: "bob", data: "before" });
    expect(bob.last().seq).toBe(1);
    // A fresh instance over the same sockets (after hibernation), from what was saved with them.
    const second = host({}, first.clock.now + 60_000);
    second.front.restore(alice, alice.saved);
    second.front.restore(bob, bob.saved);
    second.send(alice, { type: "relay", to: "bob", data: "after" });
    expect(bob.last().seq).toBeGreaterThan(1);
  });

  it("forgets what a connection was handed once it says goodbye", () => {
    const h = host();
    const alice = h.register("alice");
    const bob = h.register("bob");
    h.send(alice, { type: "relay", to: "bob", data: 1 });
    h.front.closed(bob, 1000);
    expect(h.store.writes).toBe(0);
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
    expect(abuser.saved).toEqual(LET_GO);
  });
});
