/**
 * `npm run chaos`: real calls in Chromium with the SDK, through a proxy that cuts connections with a frame in
 * flight both ways, while the self-hosted server is killed and started again during call setups (see
 * tools/chaos.ts). Prints the calls attempted and connected, setup p50/p99 away from restarts and near them, and
 * what was sent again. Exits 1 unless every call connected and setup p99 away from restarts is under 5 s.
 * Bounded (the default run is about two minutes), loopback only, stops by itself.
 *
 * Options: --calls=N (150) --concurrency=N (3) --cut=P (0.1 of relay frames) --restart-every=N (seconds, 4; 0 for
 * none) --term (restart with SIGTERM rather than SIGKILL) --deadline=N (seconds a call may take, 60)
 * --no-heal (PeerSession's healing off: what the harness finds without it)
 */
import { CHROMIUM_PATH, haveChromium } from "../test/e2e/chromium.js";
import { runChaos } from "../tools/chaos.js";

const args = process.argv.slice(2);
const known = ["calls", "concurrency", "cut", "restart-every", "term", "deadline", "no-heal"];
const unknown = args.find((a) => !known.includes(a.replace(/^--/, "").split("=")[0] as string));
if (unknown) {
  console.error(`unknown option ${unknown}; the options are ${known.map((k) => `--${k}`).join(" ")}`);
  process.exit(2);
}
function numberArg(name: string, fallback: number): number {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  if (!arg) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a number of at least 0, got ${JSON.stringify(arg)}`);
    process.exit(2);
  }
  return value;
}
if (!haveChromium) {
  console.error(`npm run chaos needs Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  process.exit(2);
}

const SETUP_P99_GOAL_MS = 5_000;
const options = {
  calls: Math.max(1, Math.round(numberArg("calls", 150))),
  concurrency: Math.max(1, Math.round(numberArg("concurrency", 3))),
  cutChance: Math.min(1, numberArg("cut", 0.1)),
  restartEveryMs: numberArg("restart-every", 4) * 1_000,
  restartSignal: args.includes("--term") ? ("SIGTERM" as const) : ("SIGKILL" as const),
  deadlineMs: numberArg("deadline", 60) * 1_000,
  heal: !args.includes("--no-heal"),
};
console.log(
  `chaos: ${options.calls} calls, ${options.concurrency} at once, ${options.cutChance} of relay frames cut with ` +
    `their connection, ${options.restartEveryMs > 0 ? `${options.restartSignal} and restart every ${options.restartEveryMs / 1000} s` : "no restarts"}` +
    `${options.heal ? "" : ", PeerSession healing off"}`,
);
const report = await runChaos({ ...options, progress: (line) => console.log(`  ${line}`) });
console.log(JSON.stringify(report, null, 2));
console.log(
  `${report.connected}/${report.attempted} calls connected. Setup away from restarts: p50 ${report.setup.p50Ms} ms, ` +
    `p99 ${report.setup.p99Ms} ms (${report.setup.calls} calls); near a restart: p50 ${report.setupNearRestarts.p50Ms} ms, ` +
    `p99 ${report.setupNearRestarts.p99Ms} ms (${report.setupNearRestarts.calls} calls). ${report.cuts.up + report.cuts.down} ` +
    `connections cut, ${report.restarts} restarts, ${report.rejoins} rejoins (${report.unrecovered} told signals may be lost), ` +
    `${report.resent} relays sent again.`,
);
const failed =
  report.connected < report.attempted || (report.setup.calls > 0 && report.setup.p99Ms > SETUP_P99_GOAL_MS);
console.log(
  failed
    ? `chaos: FAILED (goal: every call connects, setup p99 under ${SETUP_P99_GOAL_MS} ms away from restarts)`
    : "chaos: passed",
);
process.exitCode = failed ? 1 : 0;
