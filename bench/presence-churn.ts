/**
 * `npm run bench:churn`: the presence-churn attack of docs/security.md, measured. 500 presence watchers sit in a
 * room; a bystander pair bounces 20 relays a second; one client joins and leaves as fast as it can (up to 35 cycles a second).
 * Run against two local servers side by side, the presence budget at its defaults and switched off, and print the
 * presence events each watcher receives per second and the bystander pair's round trips. Bounded: about a minute,
 * loopback only, stops by itself.
 */
import { startLocalWorker } from "../tools/local-worker.js";
import type { TestSocket } from "../tools/test-socket.js";
import { connectWs } from "../tools/ws-node.js";

const WATCHERS = Number(process.env.CHURN_WATCHERS ?? 500);
const CYCLES_PER_SECOND = 35;
const SECONDS = Number(process.env.CHURN_SECONDS ?? 20);
/** Effectively no budget. */
const OFF = { PRESENCE_FANOUT_PER_SECOND: "100000000", PRESENCE_FANOUT_BURST: "100000000" };

interface ChurnResult {
  budget: "default" | "off";
  cycles: number;
  refusedJoins: number;
  eventsPerWatcherPerSecond: number;
  bystanderRoundTrips: number;
  bystanderP50Ms: number;
  bystanderP99Ms: number;
  bystanderMaxMs: number;
}

async function register(url: string, peerId: string, presence: boolean, count?: () => void): Promise<TestSocket> {
  const socket = await connectWs(url, { retain: !count, onMessage: count });
  socket.send({ type: "register", peer_id: peerId, presence });
  if (!count) await socket.next();
  return socket;
}

async function run(budget: "default" | "off"): Promise<ChurnResult> {
  const worker = await startLocalWorker({ vars: budget === "off" ? OFF : {} });
  const url = `${worker.wsUrl}/rooms/churn`;
  const sockets: TestSocket[] = [];
  try {
    let events = 0;
    const countEvent = () => events++;
    for (let i = 0; i < WATCHERS; i += 50) {
      const batch = Array.from({ length: Math.min(50, WATCHERS - i) }, (_, j) =>
        register(url, `w${i + j}`, true, countEvent),
      );
      sockets.push(...(await Promise.all(batch)));
    }
    const a = await register(url, "bystander-a", false);
    const b = await register(url, "bystander-b", false);
    sockets.push(a, b);
    b.onMessage = (m) => {
      if (m.type === "relay") b.send({ type: "relay", to: "bystander-a", data: m.data });
    };
    const rtts: number[] = [];
    a.onMessage = (m) => {
      if (m.type === "relay") rtts.push(performance.now() - (m.data as number));
    };
    await new Promise((resolve) => setTimeout(resolve, 500));
    events = 0;
    const started = performance.now();
    const until = started + SECONDS * 1000;
    // 20 round trips a second: well within the pair's own rate limit.
    const bystander = setInterval(() => a.send({ type: "relay", to: "bystander-b", data: performance.now() }), 50);
    let cycles = 0;
    let refusedJoins = 0;
    while (performance.now() < until) {
      const cycleStart = performance.now();
      const churner = await connectWs(url);
      churner.send({ type: "register", peer_id: "churner", presence: true });
      const answer = await churner.next();
      if (answer.type === "registered") cycles++;
      else refusedJoins++;
      churner.close(1000);
      await churner.closed();
      const wait = 1000 / CYCLES_PER_SECOND - (performance.now() - cycleStart);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const elapsed = (performance.now() - started) / 1000;
    clearInterval(bystander);
    rtts.sort((x, y) => x - y);
    const at = (q: number) => Math.round((rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))] ?? 0) * 10) / 10;
    return {
      budget,
      cycles,
      refusedJoins,
      eventsPerWatcherPerSecond: Math.round(events / WATCHERS / elapsed),
      bystanderRoundTrips: rtts.length,
      bystanderP50Ms: at(0.5),
      bystanderP99Ms: at(0.99),
      bystanderMaxMs: Math.round(rtts.at(-1) ?? 0),
    };
  } finally {
    for (const socket of sockets) socket.close();
    await worker.dispose();
  }
}

const results = [await run("off"), await run("default")];
console.table(results);
const [off, on] = results as [ChurnResult, ChurnResult];
console.log(
  `events to ${WATCHERS} watchers: ${off.eventsPerWatcherPerSecond * WATCHERS}/s without the budget, ` +
    `${on.eventsPerWatcherPerSecond * WATCHERS}/s with it (its first 50 cycles are a burst); bystander p99 ` +
    `${off.bystanderP99Ms} ms -> ${on.bystanderP99Ms} ms, max ${off.bystanderMaxMs} ms -> ${on.bystanderMaxMs} ms`,
);
process.exit(0);
