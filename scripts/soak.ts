/**
 * `npm run soak -- --minutes N`: a disconnect storm against the self-hosted server on loopback for N minutes (10
 * by default), a progress line every 5 s, and the accounting at the end: every relay delivered exactly once and in
 * order, or answered to its sender. Exits 1 if any relay was lost, duplicated or reordered.
 * Options: --minutes=N --steady=N --flaky=N --rate=N (relays/s per steady peer) --grace=N (seconds).
 */
import { startNpmServer } from "../tools/npm-server.js";
import { runStorm } from "../tools/storm.js";

const args = process.argv.slice(2);
/** `--name N` or `--name=N`, a positive number; `fallback` when not given. */
function numberArg(name: string, fallback: number): number {
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return fallback;
  const arg = args[at] as string;
  const raw = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[at + 1];
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const minutes = numberArg("minutes", 10);
const steady = numberArg("steady", 100);
const flaky = numberArg("flaky", 100);
const rate = numberArg("rate", 5);
const grace = numberArg("grace", 5);

console.log(`soak: ${minutes} min, ${steady} steady and ${flaky} flaky peers, ${rate} relays/s each, grace ${grace} s`);
const server = await startNpmServer("npm run serve", { env: { RESUME_GRACE_SECONDS: String(grace) } });
const started = Date.now();
try {
  const report = await runStorm({
    roomUrl: `${server.wsUrl}/rooms/soak`,
    steady,
    flaky,
    durationMs: minutes * 60_000,
    ratePerPeer: rate,
    graceMs: grace * 1_000,
    progress: (line) => console.log(`  ${line}`),
  });
  const refused = Object.values(report.refused).reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ ...report, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
  console.log(
    `${report.sent} relays: ${report.delivered} delivered, ${refused} refused with their request_id, ` +
      `${report.undeliverable} reported undeliverable; ${report.lost} lost, ${report.duplicated} duplicated, ` +
      `${report.reordered} out of order.`,
  );
  const failed = report.lost + report.duplicated + report.reordered > 0;
  console.log(failed ? "soak: FAILED" : "soak: passed");
  process.exitCode = failed ? 1 : 0;
} finally {
  await server.stop();
}
