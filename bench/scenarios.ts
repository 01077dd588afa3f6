/**
 * The five scenarios, written once against the protocol adapters. Each returns its figures and the message
 * counts the cost model needs.
 */
import { type BenchPeer, connectPeer, payload, type RelayData } from "./adapters.js";
import { treeCpuSeconds, treeRss } from "./proc.js";
import type { Protocol } from "./servers.js";
import { poissonGapMs, round, type Summary, summarize } from "./stats.js";

export interface Target {
  protocol: Protocol;
  /** The URL a peer of room `name` connects to. */
  roomUrl(name: string): string;
  /** The server's root process, for memory and CPU. */
  pid: number;
}

/** What Cloudflare would count, as measured by the clients and the server's CPU time. */
export interface Usage {
  connections: number;
  clientMessages: number;
  serverCpuSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

/** Connects `ids` with at most `concurrency` handshakes in flight; records each time to registered. */
async function openPeers(target: Target, room: string, ids: string[], concurrency: number) {
  const peers: BenchPeer[] = [];
  const times: number[] = [];
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const started = now();
      try {
        peers.push(await connectPeer(target.protocol, target.roomUrl(room), id));
        times.push(now() - started);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { peers, times, failures };
}

async function closeAll(peers: BenchPeer[]): Promise<void> {
  await Promise.all(peers.map((peer) => peer.close()));
}

function usageOf(peers: BenchPeer[], cpuBefore: number, target: Target): Usage {
  return {
    connections: peers.length,
    clientMessages: peers.reduce((sum, peer) => sum + peer.counts.sent, 0),
    serverCpuSeconds: round(treeCpuSeconds(target.pid) - cpuBefore, 3),
  };
}

// ---- S1 ------------------------------------------------------------------------------------------------

export interface S1Result {
  peers: number;
  connectionsPerSecond: number;
  registered: Summary;
  failures: number;
  usage: Usage;
}

export async function s1ConnectRegister(target: Target, count: number): Promise<S1Result> {
  // Warm up (JIT, the room's first start) outside the measurement.
  await closeAll((await openPeers(target, "s1", ids("s1-warmup", 100), 50)).peers);
  const cpu = treeCpuSeconds(target.pid);
  const started = now();
  const { peers, times, failures } = await openPeers(target, "s1", ids("s1", count), 50);
  const seconds = (now() - started) / 1000;
  const usage = usageOf(peers, cpu, target);
  await closeAll(peers);
  return {
    peers: count,
    connectionsPerSecond: round(peers.length / seconds, 0),
    registered: summarize(times),
    failures,
    usage,
  };
}

// ---- S2 ------------------------------------------------------------------------------------------------

export interface S2Result {
  peers: number;
  baselineRssMiB: number;
  rssMiB: number;
  bytesPerPeer: number;
  failures: number;
}

export async function s2IdleMemory(target: Target, count: number, settleMs: number): Promise<S2Result> {
  const baseline = treeRss(target.pid);
  const { peers, failures } = await openPeers(target, `s2-${count}`, ids(`s2-${count}`, count), 100);
  await sleep(settleMs);
  const rss = treeRss(target.pid);
  await closeAll(peers);
  return {
    peers: count,
    baselineRssMiB: round(baseline / 2 ** 20, 1),
    rssMiB: round(rss / 2 ** 20, 1),
    bytesPerPeer: round((rss - baseline) / Math.max(1, peers.length), 0),
    failures,
  };
}

// ---- S3 ------------------------------------------------------------------------------------------------

export interface S3Result {
  pairs: number;
  bytes: number;
  rtt: Summary;
  lost: number;
  errors: number;
  usage: Usage;
}

export async function s3PingPong(target: Target, pairs: number, bytes: number, roundTrips: number): Promise<S3Result> {
  const room = `s3-${pairs}-${bytes}`;
  const { peers } = await openPeers(target, room, ids(room, pairs * 2), 50);
  const cpu = treeCpuSeconds(target.pid);
  const rtts: number[] = [];
  let errors = 0;
  const warmup = 5;
  await Promise.all(
    Array.from({ length: pairs }, (_, i) => {
      const [a, b] = [peers[2 * i] as BenchPeer, peers[2 * i + 1] as BenchPeer];
      b.onRelay = (from, data) => b.relay(from, data);
      return new Promise<void>((resolve) => {
        let done = 0;
        const fire = () => a.relay(b.id, payload(bytes, done, now()));
        a.onRelay = (_from, data) => {
          if (done >= warmup) rtts.push(now() - (data.t as number));
          if (++done === roundTrips + warmup) resolve();
          else fire();
        };
        a.onError = b.onError = () => {
          errors++;
          resolve();
        };
        fire();
      });
    }),
  );
  const usage = usageOf(peers, cpu, target);
  await closeAll(peers);
  return { pairs, bytes, rtt: summarize(rtts), lost: pairs * roundTrips - rtts.length - errors, errors, usage };
}

/** Past this share of its core the load generator, not the server, sets the pace. */
const GENERATOR_SATURATED = 0.9;

// ---- S4 ------------------------------------------------------------------------------------------------

export interface S4Step {
  targetRate: number;
  achievedRate: number;
  latency: Summary;
  sent: number;
  delivered: number;
  errors: number;
  generatorCpu: number;
}

export interface S4Result {
  pairs: number;
  steps: S4Step[];
  maxSustainedRate: number;
  /** The load generator, not the server, ran out of CPU first: the server's own limit is at least this high. */
  generatorBound: boolean;
  usage: Usage;
}

const sustains = (step: S4Step) => step.errors === 0 && step.delivered === step.sent && step.latency.p99 <= 50;

/** One open-loop step: every tick sends what the schedule owes, whatever the server's pace; then it drains. */
async function s4Step(peers: BenchPeer[], pairs: number, rate: number, stepMs: number): Promise<S4Step> {
  const latencies: number[] = [];
  let [sent, delivered, errors] = [0, 0, 0];
  for (const peer of peers) {
    peer.onRelay = (_from, data) => {
      delivered++;
      latencies.push(now() - (data.t as number));
    };
    peer.onError = () => errors++;
  }
  const cpuStart = process.cpuUsage();
  const started = now();
  while (now() - started < stepMs) {
    const owed = Math.floor(((now() - started) / 1000) * rate) - sent;
    for (let i = 0; i < owed; i++) {
      const pair = sent % pairs;
      (peers[2 * pair] as BenchPeer).relay((peers[2 * pair + 1] as BenchPeer).id, payload(250, sent, now()));
      sent++;
    }
    await sleep(2);
  }
  const elapsed = (now() - started) / 1000;
  const drainUntil = now() + 3_000;
  while (delivered + errors < sent && now() < drainUntil) await sleep(10);
  const cpuUsed = process.cpuUsage(cpuStart);
  return {
    targetRate: rate,
    achievedRate: round(delivered / elapsed, 0),
    latency: summarize(latencies),
    sent,
    delivered,
    errors,
    generatorCpu: round((cpuUsed.user + cpuUsed.system) / 1e6 / elapsed, 2),
  };
}

export async function s4Throughput(target: Target, rates: number[], stepMs: number): Promise<S4Result> {
  const pairs = 20;
  const { peers } = await openPeers(target, "s4", ids("s4", pairs * 2), 40);
  const cpu = treeCpuSeconds(target.pid);
  const steps: S4Step[] = [];
  let maxSustainedRate = 0;
  let generatorBound = false;
  for (const rate of rates) {
    // One pause on a shared machine can spoil a step's p99: a step that fails gets one more try.
    let step = await s4Step(peers, pairs, rate, stepMs);
    if (!sustains(step)) step = await s4Step(peers, pairs, rate, stepMs);
    steps.push(step);
    if (!sustains(step)) break;
    maxSustainedRate = rate;
    if (step.generatorCpu >= GENERATOR_SATURATED) {
      generatorBound = true;
      break;
    }
  }
  const usage = usageOf(peers, cpu, target);
  await closeAll(peers);
  return { pairs, steps, maxSustainedRate, generatorBound, usage };
}

// ---- S5 ------------------------------------------------------------------------------------------------

export interface S5Step {
  offeredPerSecond: number;
  started: number;
  completed: number;
  failed: number;
  setupsPerSecond: number;
  setup: Summary;
  relaysSent: number;
  relaysDelivered: number;
  relayErrors: number;
  lost: number;
}

export interface S5Result {
  steps: S5Step[];
  maxSetupsPerSecond: number;
  usage: Usage;
}

const CANDIDATES = 10;

/** One call: the callee registers, the caller registers and finds it, offer, answer, trickled candidates, close. */
async function oneCall(
  target: Target,
  n: number,
  arrival: number,
  tally: { sent: number; delivered: number; errors: number },
  all: BenchPeer[],
) {
  const callee = await connectPeer(target.protocol, target.roomUrl("s5"), `call${n}-b`);
  const caller = await connectPeer(target.protocol, target.roomUrl("s5"), `call${n}-a`);
  all.push(callee, caller);
  const list = caller.listPeers();
  if (list && !(await list).includes(callee.id)) throw new Error(`caller ${n} cannot see its callee`);
  const finished = new Promise<void>((resolve, reject) => {
    let [callerGot, calleeGot] = [0, 0];
    const expected = 1 + CANDIDATES;
    const check = () => callerGot === expected && calleeGot === expected && resolve();
    const fail = (code: string) => {
      tally.errors++;
      reject(new Error(code));
    };
    caller.onError = callee.onError = fail;
    const send = (from: BenchPeer, to: string, data: RelayData) => {
      tally.sent++;
      from.relay(to, data);
    };
    callee.onRelay = (from, data) => {
      tally.delivered++;
      calleeGot++;
      if (data.kind === "offer") {
        send(callee, from, { kind: "answer", ...payload(4096, 0, 0) });
        for (let c = 0; c < CANDIDATES; c++) send(callee, from, { kind: "candidate", ...payload(250, c, 0) });
      }
      check();
    };
    caller.onRelay = () => {
      tally.delivered++;
      callerGot++;
      check();
    };
    send(caller, callee.id, { kind: "offer", ...payload(4096, 0, 0) });
    for (let c = 0; c < CANDIDATES; c++) send(caller, callee.id, { kind: "candidate", ...payload(250, c, 0) });
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("call timed out")), 15_000);
  });
  try {
    await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
  const setupMs = now() - arrival;
  await Promise.all([caller.close(), callee.close()]);
  return setupMs;
}

export async function s5CallSetups(target: Target, rates: number[], stepMs: number): Promise<S5Result> {
  const steps: S5Step[] = [];
  const all: BenchPeer[] = [];
  const cpu = treeCpuSeconds(target.pid);
  let n = 0;
  let maxSetupsPerSecond = 0;
  for (const rate of rates) {
    const tally = { sent: 0, delivered: 0, errors: 0 };
    const setups: number[] = [];
    let failed = 0;
    const calls: Promise<void>[] = [];
    const started = now();
    let nextArrival = started;
    while (nextArrival - started < stepMs) {
      await sleep(Math.max(0, nextArrival - now()));
      const arrival = now();
      calls.push(
        oneCall(target, n++, arrival, tally, all).then(
          (ms) => void setups.push(ms),
          () => void failed++,
        ),
      );
      nextArrival += poissonGapMs(rate);
    }
    await Promise.all(calls);
    const elapsed = (now() - started) / 1000;
    const step: S5Step = {
      offeredPerSecond: rate,
      started: calls.length,
      completed: setups.length,
      failed,
      setupsPerSecond: round(setups.length / elapsed, 1),
      setup: summarize(setups),
      relaysSent: tally.sent,
      relaysDelivered: tally.delivered,
      relayErrors: tally.errors,
      lost: tally.sent - tally.delivered - tally.errors,
    };
    steps.push(step);
    if (failed > 0 || step.setup.p99 > 1_000) break;
    maxSetupsPerSecond = Math.max(maxSetupsPerSecond, step.setupsPerSecond);
  }
  return { steps, maxSetupsPerSecond, usage: usageOf(all, cpu, target) };
}

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}
