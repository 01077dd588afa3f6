/**
 * `npm run serve`: the self-hosted server. Builds the same bundle `wrangler deploy` ships, then runs it on workerd
 * with deploy/workerd/config.capnp: Durable Object storage on disk under DATA_DIR (default ./data), listening on
 * HOST:PORT (default 0.0.0.0:8787). Every setting the Worker reads from [vars] or secrets is read from the
 * environment variable of the same name. Prints "Ready on http://..." once the server answers /health.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const port = Number(process.env.PORT ?? 8787);
const host = process.env.HOST ?? "0.0.0.0";
const dataDir = resolve(process.env.DATA_DIR ?? "data");

if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`PORT must be a port number, got "${process.env.PORT}"`);

// The deploy bundle, exactly as `wrangler deploy` would upload it (this also builds the demo into public/).
const build = spawnSync(
  process.execPath,
  [`${root}node_modules/wrangler/bin/wrangler.js`, "deploy", "--dry-run", "--outdir", `${root}dist`],
  { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, encoding: "utf8" },
);
if (build.status !== 0) fail(`building the bundle failed:\n${build.stdout}${build.stderr}`);

mkdirSync(dataDir, { recursive: true });
const workerd = createRequire(import.meta.url).resolve("workerd/bin/workerd");
const child = spawn(
  workerd,
  [
    "serve",
    `${root}deploy/workerd/config.capnp`,
    "--socket-addr",
    `http=${host}:${port}`,
    "--directory-path",
    `data=${dataDir}`,
    "--directory-path",
    `public=${root}public`,
  ],
  { stdio: "inherit" },
);
child.once("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));

const local = `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${port}`;
await waitUntilHealthy(local.replace("localhost", "127.0.0.1"));
console.log(`Ready on ${local} (rooms stored under ${dataDir})`);

async function waitUntilHealthy(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGTERM");
  fail(`workerd did not answer ${url}/health within 30 s`);
}

function fail(message: string): never {
  console.error(`npm run serve: ${message}`);
  process.exit(1);
}
