/**
 * `npm run bench:calls`: real WebRTC calls in Chromium through PeerSession, candidates sent one by one
 * (`candidateBatchMs: 0`) and batched (the default 20 ms), alternating call by call so that both see the same
 * machine. A loopback STUN server that answers after a delay gives each side a server-reflexive candidate a round
 * trip after its host candidates, as a real network does. Prints the setup time (the caller's session created to
 * both data channels open) and the incoming messages each call cost the server. Bounded: CALLS calls a mode
 * (default 100, about a minute), loopback only, stops by itself.
 *
 * `npm run bench:calls -- --glare` instead has both sides, each in its own tab, call at the same moment, CALLS
 * times, and counts the calls whose data channel did not open within GLARE_DEADLINE_MS: perfect negotiation must
 * settle every glare. `ICE='[]'` (any JSON list of RTCIceServer) replaces the loopback STUN server.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "../test/e2e/chromium.js";
import { startLocalWorker } from "../tools/local-worker.js";
import { round, summarize } from "./stats.js";

const CALLS = Number(process.env.CALLS ?? 100);
/** How long the STUN server waits before it answers: a round trip to a nearby server. */
const STUN_DELAY_MS = Number(process.env.STUN_DELAY_MS ?? 30);
const MODES = [0, 20];
const GLARE = process.argv.includes("--glare");
/** A glare call not open by then is counted as stalled: a good one opens in tens of milliseconds. */
const GLARE_DEADLINE_MS = 5_000;

/** What the page reports for one call. */
interface CallResult {
  setupMs: number;
  /** Frames both sides' sockets sent until both finished gathering, the two registrations included. */
  frames: number;
  candidateRelays: number;
  candidates: number;
  srflx: number;
}

/**
 * Answers STUN binding requests (RFC 5389) after `delayMs`, mapping every sender to 203.0.113.7 (a documentation
 * address) on its own port: the browser takes it for its public address and adds a server-reflexive candidate.
 */
async function startStun(delayMs: number): Promise<{ port: number; close(): void }> {
  const socket = createSocket("udp4");
  socket.on("message", (request, from) => {
    if (request.length < 20 || request.readUInt16BE(0) !== 0x0001 || request.readUInt32BE(4) !== 0x2112a442) return;
    const response = Buffer.alloc(32);
    response.writeUInt16BE(0x0101, 0); // binding success
    response.writeUInt16BE(12, 2);
    request.copy(response, 4, 4, 20); // magic cookie and transaction id
    response.writeUInt16BE(0x0020, 20); // XOR-MAPPED-ADDRESS
    response.writeUInt16BE(8, 22);
    response.writeUInt16BE(0x0001, 24); // IPv4
    response.writeUInt16BE(from.port ^ 0x2112, 26);
    response.writeUInt32BE((0xcb007107 ^ 0x2112a442) >>> 0, 28); // 203.0.113.7
    setTimeout(() => socket.send(response, from.port, from.address), delayMs);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: (socket.address() as AddressInfo).port, close: () => socket.close() };
}

/** The page's script: the SDK, and one call between two clients of the same page. */
const PAGE_SCRIPT = `
import { PeerSession, SignalingClient, isSessionSignal } from "./src/client/index.ts";

/** A WebSocket that records what it sends. */
function countingSocket(frames) {
  return class extends WebSocket {
    send(data) {
      frames.push(data);
      super.send(data);
    }
  };
}

window.oneCall = async ({ url, n, candidateBatchMs, iceServers }) => {
  const frames = [];
  const WebSocket = countingSocket(frames);
  const callee = new SignalingClient({ url, room: "calls", peerId: "b" + n, WebSocket });
  const caller = new SignalingClient({ url, room: "calls", peerId: "a" + n, WebSocket });
  await callee.connect();
  await caller.connect();
  const options = { iceServers, candidateBatchMs };
  let calleeSession;
  const calleeOpen = new Promise((resolve) => {
    callee.on("relay", ({ from, data }) => {
      if (!isSessionSignal(data)) return;
      if (!calleeSession) {
        calleeSession = new PeerSession({ ...options, signaling: callee, remotePeerId: from });
        calleeSession.on("datachannel", (channel) => open(channel).then(resolve));
      }
      void calleeSession.handleSignal(data);
    });
  });
  caller.on("relay", ({ data }) => isSessionSignal(data) && void callerSession.handleSignal(data));
  const started = performance.now();
  const callerSession = new PeerSession({ ...options, signaling: caller, remotePeerId: callee.peerId });
  const channel = await callerSession.createDataChannel("bench");
  await Promise.all([open(channel), calleeOpen]);
  const setupMs = performance.now() - started;
  // Late candidates are part of the bill: wait for both sides to finish gathering.
  const gathered = (session) =>
    session.connection().then((pc) => pc.iceGatheringState === "complete" ||
      new Promise((resolve) => pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve())));
  await Promise.all([gathered(callerSession), gathered(calleeSession)]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const setupFrames = frames.slice();
  callerSession.close();
  calleeSession.close();
  caller.close();
  callee.close();
  let candidateRelays = 0, candidates = 0, srflx = 0;
  for (const frame of setupFrames) {
    const data = JSON.parse(frame).data;
    const list = data?.rtc === "candidate" ? [data.candidate] : data?.rtc === "candidates" ? data.candidates : [];
    if (list.length > 0) candidateRelays++;
    candidates += list.length;
    srflx += list.filter((c) => c.candidate.includes("typ srflx")).length;
  }
  return { setupMs, frames: setupFrames.length, candidateRelays, candidates, srflx };
};

/** One side of a glare call, in its own tab as two users' browsers are: connect first, then call on a signal. */
window.glareConnect = async ({ url, peerId }) => {
  window.glareClient = new SignalingClient({ url, room: "glare", peerId });
  await window.glareClient.connect();
};

window.glareCall = async ({ remotePeerId, iceServers, deadlineMs }) => {
  const client = window.glareClient;
  const started = performance.now();
  const session = new PeerSession({ signaling: client, remotePeerId, iceServers });
  client.on("relay", ({ data }) => isSessionSignal(data) && void session.handleSignal(data));
  const opened = session.createDataChannel("chat", { negotiated: true, id: 0 }).then(open);
  let timer;
  const stalled = await Promise.race([
    opened.then(() => false),
    new Promise((resolve) => (timer = setTimeout(() => resolve(true), deadlineMs))),
  ]);
  clearTimeout(timer);
  const setupMs = performance.now() - started;
  // Both sides are done before either says goodbye, so that a bye never ends the other's call early.
  window.glareEnd = () => {
    session.close();
    client.close();
  };
  return { setupMs, stalled };
};

function open(channel) {
  return new Promise((resolve) => (channel.readyState === "open" ? resolve() : (channel.onopen = resolve)));
}
`;

async function bundlePage(): Promise<string> {
  const result = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: fileURLToPath(new URL("..", import.meta.url)), loader: "js" },
    bundle: true,
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

async function main(): Promise<void> {
  if (!haveChromium) throw new Error(`no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  const script = await bundlePage();
  const [worker, stun] = await Promise.all([
    startLocalWorker({ vars: { RATE_LIMIT_PER_SECOND: "1000", RATE_LIMIT_BURST: "1000" } }),
    startStun(STUN_DELAY_MS),
  ]);
  const page = createServer((request, response) => {
    if (request.url === "/calls.js") response.setHeader("content-type", "text/javascript").end(script);
    else response.setHeader("content-type", "text/html").end('<script type="module" src="/calls.js"></script>');
  });
  await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
  try {
    const newTab = async () => {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
      await tab.waitForFunction(() => "oneCall" in window);
      return tab;
    };
    const iceServers = iceServersOf(process.env.ICE) ?? [{ urls: `stun:127.0.0.1:${stun.port}` }];
    if (GLARE) {
      await glare(newTab, worker.wsUrl, iceServers);
      return;
    }
    const tab = await newTab();
    const results = new Map<number, CallResult[]>(MODES.map((mode) => [mode, []]));
    for (let n = 0; n < CALLS * MODES.length; n++) {
      const candidateBatchMs = MODES[n % MODES.length] as number;
      const result = await tab.evaluate(
        (args) => (window as unknown as { oneCall(a: unknown): Promise<CallResult> }).oneCall(args),
        { url: worker.wsUrl, n, candidateBatchMs, iceServers },
      );
      results.get(candidateBatchMs)?.push(result);
      if ((n + 1) % 10 === 0) console.error(`  ${n + 1}/${CALLS * MODES.length} calls`);
    }
    report(results);
  } finally {
    await browser.close();
    page.close();
    stun.close();
    await worker.dispose();
  }
}

/** The ICE servers `ICE` names, a JSON list; none when it is unset. */
function iceServersOf(value: string | undefined): RTCIceServer[] | undefined {
  if (value === undefined) return undefined;
  try {
    const list: unknown = JSON.parse(value);
    if (Array.isArray(list)) return list as RTCIceServer[];
  } catch {}
  throw new Error(`ICE must be a JSON list of RTCIceServer, such as '[]' or '[{"urls":"stun:127.0.0.1:3478"}]'`);
}

async function glare(newTab: () => Promise<Page>, url: string, iceServers: RTCIceServer[]): Promise<void> {
  type Side = { setupMs: number; stalled: boolean };
  type GlarePage = { glareConnect(a: unknown): Promise<void>; glareCall(a: unknown): Promise<Side>; glareEnd(): void };
  const setups: number[] = [];
  let stalled = 0;
  let tabs = await Promise.all([newTab(), newTab()]);
  for (let n = 0; n < CALLS; n++) {
    // A page holds at most about 500 connections, closed ones included until they are collected.
    if (n > 0 && n % 100 === 0) {
      await Promise.all(tabs.map((tab) => tab.close()));
      tabs = await Promise.all([newTab(), newTab()]);
    }
    const ids = [`a${n}`, `b${n}`];
    await Promise.all(
      tabs.map((tab, i) =>
        tab.evaluate((args) => (window as unknown as GlarePage).glareConnect(args), { url, peerId: ids[i] }),
      ),
    );
    const sides = await Promise.all(
      tabs.map((tab, i) =>
        tab.evaluate((args) => (window as unknown as GlarePage).glareCall(args), {
          remotePeerId: ids[1 - i],
          iceServers,
          deadlineMs: GLARE_DEADLINE_MS,
        }),
      ),
    );
    await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as unknown as GlarePage).glareEnd())));
    if (sides.some((side) => side.stalled)) stalled++;
    else setups.push(Math.max(...sides.map((side) => side.setupMs)));
    if ((n + 1) % 50 === 0) console.error(`  ${n + 1}/${CALLS} glares, ${stalled} stalled`);
  }
  const setup = summarize(setups);
  const ice =
    process.env.ICE === undefined
      ? `the loopback STUN server answers after ${STUN_DELAY_MS} ms`
      : `ICE servers ${process.env.ICE}`;
  console.log(`${CALLS} calls with both sides, in two tabs, calling at once; ${ice}`);
  console.log(
    `stalled (a channel not open after ${GLARE_DEADLINE_MS / 1000} s): ${stalled}; ` +
      `setup of the rest p50 ${round(setup.p50, 1)} ms, p99 ${round(setup.p99, 1)} ms`,
  );
}

function report(results: Map<number, CallResult[]>): void {
  const mean = (values: number[]) => round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), 1);
  console.log(`${CALLS} calls a mode, alternating; STUN answers after ${STUN_DELAY_MS} ms`);
  const rows = [...results].map(([mode, calls]) => {
    const setup = summarize(calls.map((c) => c.setupMs));
    return {
      candidateBatchMs: mode,
      "setup p50 (ms)": round(setup.p50, 1),
      "setup p99 (ms)": round(setup.p99, 1),
      "setup max (ms)": round(setup.max, 1),
      "incoming messages": mean(calls.map((c) => c.frames)),
      "candidate relays": mean(calls.map((c) => c.candidateRelays)),
      candidates: mean(calls.map((c) => c.candidates)),
      "of them srflx": mean(calls.map((c) => c.srflx)),
    };
  });
  console.table(rows);
  const [alone, batched] = rows;
  if (alone && batched) {
    const ratio = (key: "setup p50 (ms)" | "setup p99 (ms)") => round(batched[key] / alone[key], 2);
    console.log(`batched against one by one: setup p50 ${ratio("setup p50 (ms)")}×, p99 ${ratio("setup p99 (ms)")}×`);
  }
}

await main();
