/**
 * S5, call setups: calls arrive as a Poisson stream, and each does what a real call does through the server.
 */

import { treeCpuSeconds } from "./proc.js";
import { type BenchPeer, connectPeer, payload, type RelayData } from "./protocols/index.js";
import { now, sleep, type Target, type Usage, usageOf } from "./scenario-kit.js";
import { poissonGapMs, round, type Summary, summarize } from "./stats.js";

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

/**
 * Each side's 10 candidates, as PeerSession relays them on a network with a STUN server: the host candidates,
 * gathered within a few milliseconds, in one relay; the server-reflexive ones, a round trip to STUN later, in a
 * second. (On loopback, with host candidates only, the browser test counts one relay a side.)
 */
const CANDIDATE_RELAYS = [6, 4];
const CANDIDATE_BYTES = 250;

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
  // The SDK learns who is there from its registration's answer; list_peers only where the answer has no list.
  const list = caller.peersAtRegistration ?? (await caller.listPeers());
  if (list && !list.includes(callee.id)) throw new Error(`caller ${n} cannot see its callee`);
  const finished = new Promise<void>((resolve, reject) => {
    let [callerGot, calleeGot] = [0, 0];
    const expected = 1 + CANDIDATE_RELAYS.length;
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
    const sendCandidates = (from: BenchPeer, to: string) => {
      CANDIDATE_RELAYS.forEach((count, i) => {
        send(from, to, { kind: "candidates", ...payload(count * CANDIDATE_BYTES, i, 0) });
      });
    };
    callee.onRelay = (from, data) => {
      tally.delivered++;
      calleeGot++;
      if (data.kind === "offer") {
        send(callee, from, { kind: "answer", ...payload(4096, 0, 0) });
        sendCandidates(callee, from);
      }
      check();
    };
    caller.onRelay = () => {
      tally.delivered++;
      callerGot++;
      check();
    };
    send(caller, callee.id, { kind: "offer", ...payload(4096, 0, 0) });
    sendCandidates(caller, callee.id);
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
