/**
 * `npm run soak -- --minutes N`: a disconnect storm against the self-hosted server on loopback for N minutes (10
 * by default), a progress line every 5 s, and the accounting at the end: every relay delivered exactly once and in
 * order, or answered to its sender. Exits 1 if any relay was lost, duplicated or reordered.
 *
 * The clients reach the server through a proxy that cuts connections with a frame in flight (a relay, an ack or
 * an answer, either way), and the server can be restarted as it runs:
 *   --minutes=N --steady=N --flaky=N --rate=N (relays/s per steady peer) --grace=N (seconds)
 *   --cut=P            the chance that a relay, ack or answer frame is swallowed and its connection cut (0.01)
 *   --restart-every=N  stop the server with SIGTERM every N seconds (1012 to every client) and start it again
 *   --kill             ... with SIGKILL instead: nothing is told, so relays the server had taken in but not yet
 *                      acknowledged come again (duplicates are reported, not failed: only a write per relay
 *                      could avoid them); a relay lost or out of order still fails the soak
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCutProxy } from "../tools/cut-proxy.js";
import { freePort } from "../tools/npm-server.js";
import { type ServeProcess, startServe } from "../tools/serve-process.js";
import { runStorm } from "../tools/storm.js";

const args = process.argv.slice(2);
/** `--name N` or `--name=N`, a number at least `min`; `fallback` when not given. */
function numberArg(name: string, fallback: number, min = Number.MIN_VALUE): number {
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return fallback;
  const arg = args[at] as string;
  const raw = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[at + 1];
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    console.error(`--${name} must be a number of at least ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}
const known = ["minutes", "steady", "flaky", "rate", "grace", "cut", "restart-every", "kill"];
const unknown = args.find((a) => a.startsWith("--") && !known.includes(a.slice(2).split("=")[0] as string));
if (unknown) {
  console.error(`unknown option ${unknown}; the options are ${known.map((k) => `--${k}`).join(" ")}`);
  process.exit(2);
}

const minutes = numberArg("minutes", 10);
const steady = numberArg("steady", 100, 1);
const flaky = numberArg("flaky", 100, 0);
const rate = numberArg("rate", 5);
const cut = numberArg("cut", 0.01, 0);
const restartEvery = numberArg("restart-every", 0, 0);
const kill = args.includes("--kill");
// A restart must fit in the grace period with room to spare: the ids are held for that long.
const grace = numberArg("grace", restartEvery > 0 ? 15 : 5);
if (cut > 1) {
  console.error(`--cut is a chance between 0 and 1, got ${cut}`);
  process.exit(2);
}

const restartText = restartEvery > 0 ? `, ${kill ? "SIGKILL" : "SIGTERM"} and restart every ${restartEvery} s` : "";
console.log(
  `soak: ${minutes} min, ${steady} steady and ${flaky} flaky peers, ${rate} relays/s each, grace ${grace} s, ` +
    `cut chance ${cut} per frame${restartText}`,
);
const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), "soak-data-"));
const env = { RESUME_GRACE_SECONDS: String(grace) };
let server: ServeProcess = await startServe({ port, dataDir, env });
const proxy = await startCutProxy({
  upstream: `ws://127.0.0.1:${port}`,
  cutChance: cut,
  eligible: (text) => /"type":"(relay|ack|error)"/.test(text),
});
const restarts: number[] = [];
const started = Date.now();
let failed = true;
try {
  const report = await runStorm({
    roomUrl: `${proxy.url}/rooms/soak`,
    steady,
    flaky,
    durationMs: minutes * 60_000,
    ratePerPeer: rate,
    graceMs: grace * 1_000,
    fault:
      restartEvery > 0
        ? {
            everyMs: restartEvery * 1_000,
            run: async () => {
              const at = Date.now();
              await server.stop(kill ? "SIGKILL" : "SIGTERM");
              server = await startServe({ port, dataDir, env });
              restarts.push(Date.now() - at);
            },
          }
        : undefined,
    status: () => `${proxy.cuts.up + proxy.cuts.down} cuts, ${restarts.length} restarts`,
    progress: (line) => console.log(`  ${line}`),
  });
  const refused = Object.values(report.refused).reduce((a, b) => a + b, 0);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(JSON.stringify({ ...report, cuts: proxy.cuts, restartMs: restarts, seconds }, null, 2));
  console.log(
    `${report.sent} relays: ${report.delivered} delivered, ${refused} refused with their request_id, ` +
      `${report.undeliverable} reported undeliverable; ${report.lost} lost, ${report.duplicated} duplicated, ` +
      `${report.reordered} out of order. ${proxy.cuts.up} connections cut with a frame on its way up, ` +
      `${proxy.cuts.down} on its way down; ${report.resent} relays sent again; ${restarts.length} restarts.`,
  );
  if (kill && report.duplicated > 0) {
    console.log(
      `soak: ${report.duplicated} relays came twice: taken in before a kill and not yet acknowledged, so sent again`,
    );
  }
  failed = report.lost + report.reordered + (kill ? 0 : report.duplicated) > 0;
  console.log(failed ? "soak: FAILED" : "soak: passed");
} finally {
  await proxy.close();
  await server.stop("SIGTERM");
  process.exitCode = failed ? 1 : 0;
}
