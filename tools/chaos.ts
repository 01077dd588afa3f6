/**
 * The chaos harness behind `npm run chaos` and its short run in the browser tests: real WebRTC calls in Chromium,
 * made with the SDK as the README makes them, through a proxy that cuts connections with a frame in flight both
 * ways, while the self-hosted server is killed (or stopped) and started again in the middle of call setups.
 *
 * Each call is made the hard way: the caller's session is created before the callee has joined (its offer finds
 * nobody), then the callee joins and creates its own; both open the same negotiated data channel and trade a
 * message each way. A call counts as connected when both messages arrive within the deadline. Setup time runs
 * from the callee starting to join. Bounded by its call count and deadline, loopback only, stops by itself.
 */
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { round, summarize } from "../bench/stats.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../test/e2e/chromium.js";
import { startCutProxy } from "./cut-proxy.js";
import { freePort } from "./npm-server.js";
import { type ServeProcess, startServe } from "./serve-process.js";

export interface ChaosOptions {
  calls: number;
  /** Calls under way at once, each in a tab of its own. */
  concurrency: number;
  /** The chance that a relay frame (either way) is swallowed and its connection cut. */
  cutChance: number;
  /** The server is restarted this often (0: never) ... */
  restartEveryMs: number;
  /** ... with SIGKILL (nothing told, the default) or SIGTERM (1012 to every client). */
  restartSignal: "SIGKILL" | "SIGTERM";
  /** A call not connected by then failed. */
  deadlineMs: number;
  /** PeerSession's healing; off shows what the harness finds without it. */
  heal: boolean;
  progress?: (line: string) => void;
}

export interface ChaosCall {
  connected: boolean;
  setupMs: number;
  /** Wall-clock start and end of the setup, to tell the calls a restart fell in. */
  startedAt: number;
  endedAt: number;
  /** Relays the two clients sent again after resuming. */
  resent: number;
  rejoins: number;
  /** Rejoins that said the server may have lost what was on its way (after a kill). */
  unrecovered: number;
  errors: string[];
  /** What the two connections did, to show why a call failed. */
  trace: string[];
}

export interface ChaosReport {
  attempted: number;
  connected: number;
  /** Setup times of the calls no restart fell in. */
  setup: { calls: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** ... and of those a restart fell in. */
  setupNearRestarts: { calls: number; p50Ms: number; p99Ms: number; maxMs: number };
  resent: number;
  rejoins: number;
  unrecovered: number;
  cuts: { up: number; down: number };
  restarts: number;
  /** What the failed calls' clients were told, by code. */
  errors: Record<string, number>;
}

/** A call that took longer than this to set up has its trace printed, as a failed one does. */
const SLOW_CALL_MS = 5_000;

/** The page's script: the SDK, and one call between two of its clients. */
const PAGE_SCRIPT = `
import { PeerSession, SignalingClient, isSessionSignal } from "./src/client/index.ts";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** An SDP in a few words: its media sections and ICE ufrag. */
const brief = (sdp = "") =>
  sdp.split("\\r\\n").filter((l) => l.startsWith("m=") || l.startsWith("a=ice-ufrag:")).map((l) => l.split(" ")[0]).join(" ");

/** A WebSocket that writes down each attempt, its opening and its close. */
function tracedSocket(trace, name) {
  return class extends WebSocket {
    constructor(...args) {
      super(...args);
      trace.push(name + " ws new");
      this.addEventListener("open", () => trace.push(name + " ws open"));
      this.addEventListener("close", (event) => trace.push(name + " ws close " + event.code));
    }
  };
}

/** An RTCPeerConnection that writes down each description set and each ICE restart, to show why a call failed. */
function tracing(trace, name) {
  return class extends RTCPeerConnection {
    async setLocalDescription(description) {
      const before = this.signalingState;
      await (description ? super.setLocalDescription(description) : super.setLocalDescription()).catch((error) => {
        trace.push(name + " setLocalDescription(" + (description?.type ?? "") + ") in " + before + " failed: " + error.message);
        throw error;
      });
      trace.push(name + " local " + this.localDescription?.type + ": " + before + " -> " + this.signalingState + " " + brief(this.localDescription?.sdp));
    }
    async setRemoteDescription(description) {
      const before = this.signalingState;
      await super.setRemoteDescription(description).catch((error) => {
        trace.push(name + " setRemoteDescription(" + description.type + ") in " + before + " failed: " + error.message);
        throw error;
      });
      trace.push(name + " remote " + description.type + ": " + before + " -> " + this.signalingState + " " + brief(description.sdp));
    }
    restartIce() {
      trace.push(name + " restartIce in " + this.signalingState);
      super.restartIce();
    }
  };
}

window.chaosCall = async ({ url, room, n, calleeDelayMs, deadlineMs, heal }) => {
  const result = { resent: 0, rejoins: 0, unrecovered: 0, errors: [], trace: [] };
  // Each line of the trace says when, in ms from the call's start.
  const t0 = performance.now();
  const trace = { push: (line) => result.trace.push(Math.round(performance.now() - t0) + " " + line) };
  const clients = [];
  const sessions = [];
  const client = (peerId) => {
    const c = new SignalingClient({ url, room, peerId, WebSocket: tracedSocket(trace, peerId) });
    c.on("rejoined", ({ recovered, resent }) => {
      result.rejoins++;
      result.resent += resent;
      if (!recovered) result.unrecovered++;
    });
    c.on("error", (error) => result.errors.push(error.code));
    c.on("state", (s) => trace.push(peerId + " signaling " + s));
    clients.push(c);
    return c;
  };
  // Each side as the README has it: a session to the other, the same negotiated channel, a message on open.
  const call = (signaling, remotePeerId) => {
    const name = signaling.peerId;
    const session = new PeerSession({
      signaling,
      remotePeerId,
      iceServers: [],
      RTCPeerConnection: tracing(trace, name),
      ...(heal ? {} : { healAfterMs: 0 }),
    });
    session.on("state", (s) => trace.push(name + " pc " + s));
    signaling.on("rejoined", (r) => trace.push(name + " rejoined " + JSON.stringify(r)));
    session.on("error", (error) =>
      result.errors.push(typeof error.code === "string" ? error.code : error.name + ": " + error.message),
    );
    sessions.push(session);
    signaling.on("relay", ({ from, data }) => {
      if (from === remotePeerId && isSessionSignal(data)) void session.handleSignal(data);
    });
    return session.createDataChannel("chat", { negotiated: true, id: 0 }).then(
      (channel) =>
        new Promise((resolve) => {
          channel.onmessage = (event) => event.data === "hello from " + remotePeerId && resolve();
          const greet = () => channel.send("hello from " + signaling.peerId);
          if (channel.readyState === "open") greet();
          else channel.onopen = greet;
        }),
    );
  };
  const a = client("a" + n);
  const b = client("b" + n);
  let timer;
  const deadline = new Promise((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
  try {
    // The caller calls before the callee is there.
    const joined = await Promise.race([a.connect().then(() => true), deadline]);
    const callerDone = joined ? call(a, "b" + n) : Promise.resolve();
    await sleep(calleeDelayMs);
    result.startedAt = Date.now();
    const started = performance.now();
    const both = b.connect().then(() => Promise.all([callerDone, call(b, "a" + n)]));
    result.connected = joined && (await Promise.race([both.then(() => true), deadline]));
    result.setupMs = performance.now() - started;
    result.endedAt = Date.now();
  } catch (error) {
    result.errors.push(String(error?.code ?? error));
    result.connected = false;
    result.setupMs = deadlineMs;
    result.startedAt ??= Date.now();
    result.endedAt = Date.now();
  } finally {
    clearTimeout(timer);
    for (const session of sessions) session.close();
    for (const c of clients) c.close();
  }
  return result;
};
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

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const script = await bundlePage();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "chaos-data-"));
  let server: ServeProcess = await startServe({ port, dataDir });
  const proxy = await startCutProxy({ upstream: `ws://127.0.0.1:${port}`, cutChance: options.cutChance });
  const pages = createServer((request, response) => {
    if (request.url === "/chaos.js") response.setHeader("content-type", "text/javascript").end(script);
    else response.setHeader("content-type", "text/html").end('<script type="module" src="/chaos.js"></script>');
  });
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  const pageUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
  let browser: Browser | undefined;
  /** When each restart began and when the server answered again. */
  const restarts: Array<[number, number]> = [];
  let running = true;
  const restarter = (async () => {
    if (options.restartEveryMs <= 0) return;
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, options.restartEveryMs));
      if (!running) break;
      const began = Date.now();
      await server.stop(options.restartSignal);
      server = await startServe({ port, dataDir });
      restarts.push([began, Date.now()]);
      options.progress?.(`restart ${restarts.length} (${options.restartSignal}): ${Date.now() - began} ms`);
    }
  })();
  const calls: ChaosCall[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
    const openTab = async (): Promise<Page> => {
      const tab = await (browser as Browser).newPage();
      await tab.goto(pageUrl);
      await tab.waitForFunction(() => "chaosCall" in window);
      return tab;
    };
    let next = 0;
    const lane = async () => {
      let tab = await openTab();
      let used = 0;
      while (next < options.calls) {
        const n = next++;
        // A page holds a few hundred sockets, closed ones included until collected: a fresh tab now and then.
        if (++used % 40 === 0) {
          await tab.close();
          tab = await openTab();
        }
        const call = (await tab.evaluate(
          (args) => (window as unknown as { chaosCall(a: unknown): Promise<ChaosCall> }).chaosCall(args),
          {
            url: proxy.url,
            room: `chaos-${n % 8}`,
            n,
            calleeDelayMs: Math.floor(Math.random() * 300),
            deadlineMs: options.deadlineMs,
            heal: options.heal,
          },
        )) as ChaosCall;
        calls.push(call);
        const connected = calls.filter((c) => c.connected).length;
        // A failed call, or a slow one, shows what its two connections did (times in ms from its start).
        const why = !call.connected
          ? `call ${n} did not: ${call.errors.join(", ") || "no error"}`
          : call.setupMs > SLOW_CALL_MS
            ? `call ${n} took ${Math.round(call.setupMs)} ms`
            : "";
        if (calls.length % 10 === 0 || why) {
          options.progress?.(
            `${calls.length}/${options.calls} calls, ${connected} connected` +
              (why ? ` (${why})\n    ${call.trace.join("\n    ")}` : ""),
          );
        }
      }
      await tab.close();
    };
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  } finally {
    running = false;
    await restarter;
    await browser?.close();
    pages.close();
    await proxy.close();
    await server.stop("SIGTERM");
  }
  return summarizeCalls(calls, restarts, proxy.cuts);
}

function summarizeCalls(calls: ChaosCall[], restarts: Array<[number, number]>, cuts: ChaosReport["cuts"]) {
  // A restart falls in a call if the server was down (or just back) at any moment of its setup.
  const nearRestart = (call: ChaosCall) =>
    restarts.some(([began, back]) => began <= call.endedAt && back + 1_000 >= call.startedAt);
  const stats = (list: ChaosCall[]) => {
    const s = summarize(list.map((c) => c.setupMs));
    return { calls: list.length, p50Ms: round(s.p50, 0), p99Ms: round(s.p99, 0), maxMs: round(s.max, 0) };
  };
  const errors: Record<string, number> = {};
  for (const call of calls.filter((c) => !c.connected)) {
    for (const code of call.errors) errors[code] = (errors[code] ?? 0) + 1;
  }
  const sum = (pick: (c: ChaosCall) => number) => calls.reduce((total, c) => total + pick(c), 0);
  return {
    attempted: calls.length,
    connected: calls.filter((c) => c.connected).length,
    setup: stats(calls.filter((c) => c.connected && !nearRestart(c))),
    setupNearRestarts: stats(calls.filter((c) => c.connected && nearRestart(c))),
    resent: sum((c) => c.resent),
    rejoins: sum((c) => c.rejoins),
    unrecovered: sum((c) => c.unrecovered),
    cuts: { ...cuts },
    restarts: restarts.length,
    errors,
  };
}
