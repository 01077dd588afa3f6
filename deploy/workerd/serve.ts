/**
 * `npm run serve`: the self-hosted server. Builds the same bundle `wrangler deploy` ships, then runs it on workerd
 * with deploy/workerd/config.capnp: Durable Object storage on disk under DATA_DIR (default ./data), listening on
 * HOST:PORT (default 0.0.0.0:8787). Every setting the Worker reads from [vars] or secrets is read from the
 * environment variable of the same name. Prints "Ready on http://..." once the server answers /health.
 *
 * On SIGTERM or SIGINT (what `kill`, systemd, Docker and Ctrl-C send) every socket is closed with 1012, each peer
 * held for its client to resume on the next server, and the process exits within a few seconds, so the port can
 * be bound again at once. A second signal ends it at once. Killed outright (SIGKILL, a crash), it takes workerd
 * with it (on Linux, through setpriv's parent-death signal), so no orphan keeps the port: the next server finds
 * every id that was connected held for its client, when registrations are persisted (the default here).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { pruneEmptyRooms } from "./prune-rooms.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const port = Number(process.env.PORT ?? 8787);
const host = process.env.HOST ?? "0.0.0.0";
const dataDir = resolve(process.env.DATA_DIR ?? "data");
/** How long the sockets' close frames get to leave before workerd is stopped, and workerd to stop. */
const CLOSE_FLUSH_MS = 300;
const EXIT_GRACE_MS = 1_500;

if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`PORT must be a port number, got "${process.env.PORT}"`);

// The deploy bundle, exactly as `wrangler deploy` would upload it (this also builds the demo into public/).
const build = spawnSync(
  process.execPath,
  [`${root}node_modules/wrangler/bin/wrangler.js`, "deploy", "--dry-run", "--outdir", `${root}dist`],
  { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, encoding: "utf8" },
);
if (build.status !== 0) fail(`building the bundle failed:\n${build.stdout}${build.stderr}`);

mkdirSync(dataDir, { recursive: true });
const pruned = pruneEmptyRooms(dataDir);
if (pruned.removed > 0) console.log(`Removed ${pruned.removed} empty room file(s); ${pruned.kept} kept`);

// Known to this process and workerd alone: the Worker's shutdown route answers nobody else.
const shutdownSecret = randomBytes(24).toString("base64url");
const workerd = createRequire(import.meta.url).resolve("workerd/bin/workerd");
const serveArgs = [
  "serve",
  `${root}deploy/workerd/config.capnp`,
  "--socket-addr",
  `http=${host}:${port}`,
  "--directory-path",
  `data=${dataDir}`,
  "--directory-path",
  `public=${root}public`,
];
// workerd dies with this process, even when it is killed with SIGKILL (a signal it cannot answer).
const setpriv = process.platform === "linux" ? ["/usr/bin/setpriv", "/bin/setpriv"].find(existsSync) : undefined;
const child = spawn(setpriv ?? workerd, setpriv ? ["--pdeathsig", "KILL", workerd, ...serveArgs] : serveArgs, {
  stdio: "inherit",
  env: { ...process.env, SIGNAL_SHUTDOWN_SECRET: shutdownSecret },
});
let stopping = false;
child.once("exit", (code, signal) => process.exit(stopping ? 0 : (code ?? (signal ? 0 : 1))));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop());

const local = `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${port}`;
const loopback = local.replace("localhost", "127.0.0.1");
await waitUntilHealthy(loopback);
console.log(`Ready on ${local} (rooms stored under ${dataDir})`);

/** Closes every socket with 1012 through the Worker, then stops workerd, by force if it lingers. */
async function stop(): Promise<void> {
  if (stopping) {
    child.kill("SIGKILL");
    return;
  }
  stopping = true;
  try {
    const response = await fetch(`${loopback}/admin/shutdown`, {
      method: "POST",
      headers: { Authorization: `Bearer ${shutdownSecret}` },
      signal: AbortSignal.timeout(3_000),
    });
    const { sockets } = (await response.json()) as { sockets?: number };
    console.log(`Stopping: ${sockets ?? 0} socket(s) closed with 1012, their peers held for them to resume`);
    await sleep(CLOSE_FLUSH_MS);
  } catch (error) {
    console.error(`npm run serve: could not close the sockets first (${String(error)}); stopping anyway`);
  }
  child.kill("SIGTERM");
  // workerd waits for connections it is still closing; they were told already.
  setTimeout(() => child.kill("SIGKILL"), EXIT_GRACE_MS).unref();
}

async function waitUntilHealthy(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill("SIGTERM");
  fail(`workerd did not answer ${url}/health within 30 s`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fail(message: string): never {
  console.error(`npm run serve: ${message}`);
  process.exit(1);
}
