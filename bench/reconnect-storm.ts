/**
 * `npm run bench:reconnect`: a reconnect storm after a restart. 1,000 SDK clients (SignalingClient, as an app uses
 * it) in 4 rooms of the self-hosted server, every per-address cap at its default; the server is stopped with
 * SIGTERM (1012 to every client) and started again on the same port and data, and each client's way back is timed
 * from the moment the server began to stop to its `rejoined`. Prints p50/p99/max, how many came back with their
 * id, and every error the clients saw by code. Then the same with SIGKILL, which tells nobody. Bounded (about a
 * minute), loopback only, stops by itself.
 *
 * Options: --clients=N (1000) --rooms=N (4) --kill-only --term-only
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { SignalingClient, type SignalingClientOptions } from "../src/client/index.js";
import { wholeNumberOption } from "../tools/cli-options.js";
import { freePort } from "../tools/npm-server.js";
import { type ServeProcess, startServe } from "../tools/serve-process.js";
import { round, summarize } from "./stats.js";

const CLIENTS = wholeNumberOption("clients", 1_000);
const ROOMS = wholeNumberOption("rooms", 4);
/** The goal the issue set for a restart: every client back, p99 within this, on this machine. */
const P99_GOAL_MS = 5_000;
const BACK_WITHIN_MS = 60_000;

interface Round {
  signal: "SIGTERM" | "SIGKILL";
  clients: number;
  back: number;
  withTheirId: number;
  restartMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: Record<string, number>;
}

async function storm(signal: Round["signal"]): Promise<Round> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "reconnect-storm-"));
  let server: ServeProcess = await startServe({ port, dataDir });
  const clients: SignalingClient[] = [];
  const errors: Record<string, number> = {};
  try {
    for (let i = 0; i < CLIENTS; i += 100) {
      const batch = Array.from({ length: Math.min(100, CLIENTS - i) }, (_, j) => {
        const n = i + j;
        const client = new SignalingClient({
          url: `ws://127.0.0.1:${port}`,
          room: `storm-${n % ROOMS}`,
          peerId: `p${n}`,
          presence: true,
          WebSocket: WebSocket as unknown as SignalingClientOptions["WebSocket"],
        });
        client.on("error", (error) => {
          errors[error.code] = (errors[error.code] ?? 0) + 1;
        });
        clients.push(client);
        return client.connect();
      });
      await Promise.all(batch);
    }
    const back = new Map<number, { ms: number; resumed: boolean }>();
    const stoppedAt = Date.now();
    clients.forEach((client, n) => {
      client.on("rejoined", ({ resumed }) => {
        if (!back.has(n)) back.set(n, { ms: Date.now() - stoppedAt, resumed });
      });
    });
    await server.stop(signal);
    server = await startServe({ port, dataDir });
    const restartMs = Date.now() - stoppedAt;
    const deadline = Date.now() + BACK_WITHIN_MS;
    while (back.size < CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const times = summarize([...back.values()].map((b) => b.ms));
    return {
      signal,
      clients: CLIENTS,
      back: back.size,
      withTheirId: [...back.values()].filter((b) => b.resumed).length,
      restartMs,
      p50Ms: round(times.p50, 0),
      p99Ms: round(times.p99, 0),
      maxMs: round(times.max, 0),
      errors,
    };
  } finally {
    for (const client of clients) client.close();
    await server.stop("SIGTERM");
  }
}

const signals: Round["signal"][] = process.argv.includes("--kill-only")
  ? ["SIGKILL"]
  : process.argv.includes("--term-only")
    ? ["SIGTERM"]
    : ["SIGTERM", "SIGKILL"];
console.log(`reconnect storm: ${CLIENTS} SDK clients in ${ROOMS} rooms of npm run serve, caps at their defaults`);
const rounds: Round[] = [];
for (const signal of signals) {
  const result = await storm(signal);
  rounds.push(result);
  console.log(
    `${signal}: ${result.back}/${result.clients} back (${result.withTheirId} resumed their id) in p50 ` +
      `${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms after the stop; the server was back ` +
      `in ${result.restartMs} ms. Errors seen: ${JSON.stringify(result.errors)}`,
  );
}
console.log(JSON.stringify(rounds, null, 2));
const failed = rounds.some((r) => r.back < r.clients || r.withTheirId < r.clients || r.p99Ms > P99_GOAL_MS);
console.log(
  failed
    ? `reconnect storm: FAILED (goal: every client back with its id, p99 under ${P99_GOAL_MS} ms after the stop)`
    : "reconnect storm: passed",
);
process.exitCode = failed ? 1 : 0;
