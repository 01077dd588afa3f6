/**
 * `npm run yjs:loop`: do two Yjs documents always converge through this server? The real yjs and y-webrtc in two
 * Chromium pages (separate contexts), started at the same moment, each inserting one string at once and waiting
 * up to 25 s for the other's, in a fresh room each run; against this server (`npm start`, or `--host=serve`) and
 * against y-webrtc's own bin/server.js, runs alternating. A run that does not converge is written, with every
 * signaling frame both pages sent and received, to test-results/yjs-<server>-<run>.json.
 *
 * `original-interleaved` is y-webrtc's server behind a proxy that holds each client's frames after its first (the
 * subscribe) for 150 ms, so that two pages joining together both subscribe before either announces: the order this
 * server's one-event-per-frame used to allow, shown to break the original the same way.
 *
 * Options: --runs=N (30 per server) --servers=ours,original,original-interleaved --host=start|serve
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { chromium, type Page } from "playwright-core";
import WebSocket, { WebSocketServer } from "ws";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../test/e2e/chromium.js";
import { serveApp } from "../test/e2e/compat/serve-app.js";
import { textOption, wholeNumberOption } from "../tools/cli-options.js";
import { freePort, startNpmServer } from "../tools/npm-server.js";

const RUNS = wholeNumberOption("runs", 30, 200);
const SERVERS = textOption("servers", "ours,original").split(",");
const HOST = textOption("host", "start") === "serve" ? "npm run serve" : "npm start";
const WAIT_MS = 25_000;

async function original(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["node_modules/y-webrtc/bin/server.js"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { url: `ws://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

/** A proxy to `upstream` that holds each client's frames after its first for `holdMs` (their order kept). */
async function interleaving(upstream: string, holdMs = 150): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const server = new WebSocketServer({ port, host: "127.0.0.1" });
  server.on("connection", (client) => {
    const up = new WebSocket(upstream);
    const opened = new Promise((resolve) => up.once("open", resolve));
    let first = true;
    let chain = Promise.resolve();
    client.on("message", (data, binary) => {
      const hold = first ? 0 : holdMs;
      first = false;
      chain = chain
        .then(() => opened)
        .then(() => new Promise((r) => setTimeout(r, hold)))
        .then(() => up.send(data, { binary }));
    });
    up.on("message", (data, binary) => client.send(data, { binary }));
    client.on("close", () => up.close());
    up.on("close", () => client.close());
  });
  return { url: `ws://127.0.0.1:${port}`, stop: () => server.close() };
}

const ours = SERVERS.includes("ours") ? await startNpmServer(HOST) : undefined;
const theirs = SERVERS.some((s) => s.startsWith("original")) ? await original() : undefined;
const interleaved = theirs && SERVERS.includes("original-interleaved") ? await interleaving(theirs.url) : undefined;
const app = await serveApp("yjs-page.ts");
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
const tally: Record<string, { runs: number; failed: number; ms: number[] }> = {};
mkdirSync("test-results", { recursive: true });

async function run(server: string, url: string, n: number): Promise<void> {
  const room = `loop-${Date.now().toString(36)}-${n}`;
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const pages: Page[] = await Promise.all(contexts.map((c) => c.newPage()));
  await Promise.all(pages.map((p) => p.goto(app.url)));
  const started = Date.now();
  await Promise.all(
    pages.map((p, i) =>
      p.evaluate(
        ([u, r, text]) => {
          window.startDoc(u as string, r as string);
          window.edit(text as string);
        },
        [url, room, `text-${i} `],
      ),
    ),
  );
  const converged = await Promise.all(
    pages.map((p) =>
      p
        .waitForFunction(() => window.docText().includes("text-0") && window.docText().includes("text-1"), null, {
          timeout: WAIT_MS,
          polling: 100,
        })
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  tally[server] ??= { runs: 0, failed: 0, ms: [] };
  const entry = tally[server];
  entry.runs++;
  if (converged.every(Boolean)) entry.ms.push(Date.now() - started);
  else {
    entry.failed++;
    const record = await Promise.all(
      pages.map(async (p) => ({
        text: await p.evaluate(() => window.docText()),
        webrtcPeers: await p.evaluate(() => window.webrtcPeers()),
        frames: await p.evaluate(() => window.signalingFrames),
      })),
    );
    const file = `test-results/yjs-${server}-${n}.json`;
    writeFileSync(file, JSON.stringify({ server, room, converged, pages: record }, null, 2));
    console.log(`${server} run ${n}: did not converge (${file})`);
  }
  await Promise.all(contexts.map((c) => c.close()));
}

try {
  for (let n = 0; n < RUNS; n++) {
    if (ours) await run("ours", `${ours.wsUrl}/y-webrtc/loop`, n);
    if (theirs && SERVERS.includes("original")) await run("original", theirs.url, n);
    if (interleaved) await run("original-interleaved", interleaved.url, n);
  }
} finally {
  await browser.close();
  app.close();
  interleaved?.stop();
  theirs?.stop();
  await ours?.stop();
}
for (const [server, { runs, failed, ms }] of Object.entries(tally)) {
  ms.sort((a, b) => a - b);
  const p50 = ms[Math.floor(ms.length / 2)] ?? 0;
  console.log(
    `${server}: ${failed} of ${runs} never converged; converged runs p50 ${p50} ms, max ${ms.at(-1) ?? 0} ms`,
  );
}
