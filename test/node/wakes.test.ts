/**
 * What must hold across a real hibernation, on both hosts users run (workerd evicts an idle object after about 10 s):
 * a client that never pings keeps its place however long it is silent, one that kept alive and froze is found out,
 * and idle sockets cannot hold a full room or namespace through a wake. The scenarios of a host run side by side,
 * so that the host's one long wait serves them all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, type NpmServerKind, startNpmServer } from "../../tools/npm-server.js";
import { freshRoom, register, type TestSocket, waitFor } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

const HOSTS: NpmServerKind[] = ["npm start", "npm run serve"];
const SETTINGS = {
  IDLE_TIMEOUT_SECONDS: "20",
  RESUME_GRACE_SECONDS: "3",
  MAX_PEERS_PER_ROOM: "3",
  REGISTER_TIMEOUT_SECONDS: "2",
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.concurrent.each(HOSTS)("%s", (kind) => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startNpmServer(kind, { env: SETTINGS });
  }, 100_000);
  // Not closeAll(): the other host's tests run meanwhile, and their sockets are theirs. Stopping the server ends these.
  afterAll(() => server?.stop());
  const wakes = () => (server.output().match(/"event":"room_woke"/g) ?? []).length;

  // Regression: two clients written against the seed protocol alone registered and waited without a word; after
  // IDLE_TIMEOUT_SECONDS the first relay to the waiting one closed it with 4002, and its relay went to a mailbox it
  // never resumed. WebSocket protocol pings did not count either.
  it("delivers to a client that never pings after 35 s of silence, across hibernation", async () => {
    const url = `${server.wsUrl}/rooms/${freshRoom("silent")}`;
    const waiting = await register(await connectWs(url), "waiting");
    const caller = await register(await connectWs(url), "caller");
    const pinger = await register(await connectWs(url), "pinger");
    const pings = setInterval(() => pinger.protocolPing(), 5_000);
    const wokeBefore = wakes();
    await sleep(35_000);
    clearInterval(pings);
    caller.send({ type: "relay", to: "waiting", data: { after: "35 s" }, request_id: "late" });
    caller.send({ type: "relay", to: "pinger", data: "and to the protocol pinger" });
    expect(await waiting.next(10_000)).toEqual({
      type: "relay",
      from: "caller",
      data: { after: "35 s" },
      seq: expect.any(Number),
    });
    expect(await pinger.next(10_000)).toMatchObject({ type: "relay", data: "and to the protocol pinger" });
    expect([waiting.closeCode, caller.closeCode, pinger.closeCode]).toEqual([undefined, undefined, undefined]);
    expect(caller.received.filter((m) => m.type === "error")).toEqual([]);
    expect(wakes()).toBeGreaterThan(wokeBefore);
  }, 60_000);

  it("reports a client that kept alive and then froze as gone", async () => {
    const url = `${server.wsUrl}/rooms/${freshRoom("frozen")}`;
    const watcher = await register(await connectWs(url), "watcher", { presence: true });
    const frozen = await register(await connectWs(url), "frozen");
    frozen.sendRaw('{"type":"ping"}'); // answered by the runtime: it keeps alive...
    expect(await frozen.next()).toEqual({ type: "pong" });
    const keepalive = setInterval(() => watcher.sendRaw('{"type":"ping"}'), 5_000);
    // ... and then says nothing more, nor answers: the watcher hears of it on its own.
    await waitFor(
      () => watcher.received.some((m) => m.type === "peer_left" && m.peer_id === "frozen"),
      "peer_left for the frozen client",
      55_000,
    );
    clearInterval(keepalive);
    expect(watcher.closeCode).toBeUndefined();
  }, 60_000);

  // Regression: after a wake, sockets that never registered got a fresh opening time, so a room or namespace
  // filled with idle sockets stayed locked for good (newcomers at 0, 14, 28 and 42 s refused).
  it.each([
    ["a seed room", "/rooms/", (s: TestSocket) => s.send({ type: "register", peer_id: "newcomer" }), "registered"],
    ["a y-webrtc namespace", "/y-webrtc/", (s: TestSocket) => s.send({ type: "ping", id: 1 }), "pong"],
    [
      "a tracker namespace",
      "/announce/",
      (s: TestSocket) => s.send({ action: "scrape", info_hash: "x".repeat(20) }),
      "scrape",
    ],
  ])(
    "admits a newcomer to %s held full by idle sockets through a wake",
    async (_what, path, speak, answer) => {
      const url = `${server.wsUrl}${path}${freshRoom("full")}`;
      const idle = await Promise.all([0, 1, 2].map(() => connectWs(url)));
      const refused = await connectWs(url);
      expect(await refused.closed()).toBe(1013);
      const wokeBefore = wakes();
      await sleep(12_000); // past the register timeout, and idle long enough to hibernate
      const newcomer = await connectWs(url);
      speak(newcomer);
      const first = (await newcomer.next(10_000)) as { type?: string; action?: string };
      expect(first.type ?? first.action).toBe(answer);
      expect(newcomer.closeCode).toBeUndefined();
      // A close the server starts on a hibernated socket completes on the client's side about 10 s later (workerd).
      await waitFor(() => idle.every((s) => s.closeCode !== undefined), "the idle sockets to be closed", 25_000);
      expect(idle.map((s) => s.closeCode)).toEqual([4004, 4004, 4004]);
      expect(wakes()).toBeGreaterThan(wokeBefore);
    },
    40_000,
  );
});
