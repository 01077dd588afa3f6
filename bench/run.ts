/**
 * `npm run bench`: starts every server on loopback, drives the same scenarios against each in one run, prints the
 * table, and writes bench/results/latest.json, docs/benchmarks.md's results and docs/benchmarks.svg. A quick or
 * partial run writes bench/results/local/ instead (ignored by git), never the committed files.
 * Servers take turns round by round (A, B, A, B, ...; each round's order the reverse of the last, so that neither
 * always runs first or last), every round on fresh servers; each figure is the median of its rounds, with its range.
 * Options: --quick, --rounds=N (5), --servers=a,b, --scenarios=S1,S4, and --render (render the last run again with
 * the current cost model, measure nothing).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { acceptPath } from "./accept-path.js";
import { costSummary } from "./cost-model.js";
import { hotPath } from "./hot-path.js";
import { selfCpuSeconds } from "./proc.js";
import { renderMarkdown, renderSvg, renderTable } from "./report.js";
import type { BenchReport, ServerResult } from "./report-types.js";
import { s5CallSetups } from "./scenario-calls.js";
import type { Target } from "./scenario-kit.js";
import { type S3Result, s1ConnectRegister, s2IdleMemory, s3PingPong, s4Throughput } from "./scenarios.js";
import { type RunningServer, SERVERS, type ServerSpec } from "./servers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
/** `--name=a,b` as a list, or undefined when not given. */
const listArg = (name: string) =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(",");
const only = listArg("servers");
const scenarios = listArg("scenarios") ?? ["S1", "S2", "S3", "S4", "S5"];
const ROUNDS = Math.max(1, Math.min(21, Number(listArg("rounds")?.[0] ?? 5)));
const wants = (scenario: string) => scenarios.includes(scenario);
/** Only a full run of every server and scenario is a record, written to the committed results and docs. */
const isRecord = !quick && only === undefined && listArg("scenarios") === undefined;

/**
 * Limits raised for the closed-loop and open-loop relay scenarios, which exceed one connection's default rate (and,
 * with 4 KB relays bounced as fast as the loop allows, what one connection may have sent, and be sent, per second).
 */
export const RAISED_LIMITS = {
  RATE_LIMIT_PER_SECOND: "1000000",
  RATE_LIMIT_BURST: "1000000",
  RATE_LIMIT_BYTES_PER_SECOND: "1073741824",
  RATE_LIMIT_BURST_BYTES: "1073741824",
  OUTBOUND_BYTES_PER_SECOND: "1073741824",
  OUTBOUND_BURST_BYTES: "1073741824",
};

/** Rates from `from` to `to`, each ×1.25 the last: one pause costs a round a fifth of its figure, not half. */
function ramp(from: number, to: number): number[] {
  const rates: number[] = [];
  for (let rate = from; rate <= to; rate *= 1.25) rates.push(Math.round(rate / 50) * 50);
  return rates;
}

const PLAN = quick
  ? {
      // As many as the full run: a round of 500 took a third of a second, and one pause moved its figure by a third.
      s1: 1_000,
      s2: [500],
      settleMs: 1_000,
      s3: { one: 400, many: 10 },
      s4: ramp(4_000, 64_000),
      s4StepMs: 600,
      s5: [10, 40],
      s5StepMs: 2_000,
    }
  : {
      s1: 1_000,
      s2: [1_000, 5_000],
      settleMs: 12_000,
      s3: { one: 3_000, many: 50 },
      s4: ramp(1_000, 64_000),
      s4StepMs: 2_000,
      s5: [10, 25, 50, 100, 150, 200, 300, 400, 600],
      s5StepMs: 5_000,
    };

// The load generator takes core 0, servers core 1, so neither steals the other's cycles.
const GENERATOR_CPU = "0";
const SERVER_CPU = cpus().length > 1 ? "1" : "0";

function pinSelf(): void {
  try {
    execFileSync("taskset", ["-p", "-c", GENERATOR_CPU, String(process.pid)], { stdio: "ignore" });
  } catch {
    console.warn("taskset not available: server and load generator share cores");
  }
}

let port = 18_700;
/** In a quick run, scenarios with the same limits share one server; a full run starts a fresh one for each. */
const shared = new Map<string, RunningServer>();

async function withServer<T>(
  spec: ServerSpec,
  vars: Record<string, string>,
  body: (target: Target) => Promise<T>,
): Promise<T> {
  const key = JSON.stringify(vars);
  const server = shared.get(key) ?? (await spec.start(port++, vars, SERVER_CPU));
  if (quick) shared.set(key, server);
  try {
    const target: Target = {
      protocol: spec.protocol,
      pid: server.pid,
      roomUrl: (name) =>
        spec.protocol === "seed" ? `${server.url.replace(/\/rooms\/bench$/, "")}/rooms/${name}` : server.url,
    };
    return await body(target);
  } finally {
    if (!quick) await server.stop();
  }
}

async function stopShared(): Promise<void> {
  await Promise.all([...shared.values()].map((server) => server.stop()));
  shared.clear();
}

function progress(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

/**
 * In a full run every scenario gets a fresh server: rooms left idle by an earlier scenario hibernate about 10 s
 * later, and that eviction, landing in the middle of a later measurement, showed up as 100 ms stalls in S3 and S4.
 * A quick run shares servers to stay under two minutes; quote the full run.
 * S3 and S4 drive one connection past its default rate, so this project runs them with raised limits.
 */
async function benchServer(spec: ServerSpec): Promise<ServerResult> {
  const result: ServerResult = { id: spec.id, label: spec.label };
  const genCpu = selfCpuSeconds();
  const started = performance.now();
  const raised = spec.hasLimits ? RAISED_LIMITS : {};
  process.stderr.write(`${spec.label}\n`);
  try {
    if (wants("S1")) {
      progress("S1 connect + register");
      result.s1 = await withServer(spec, {}, (target) => s1ConnectRegister(target, PLAN.s1));
    }
    for (const count of wants("S2") ? PLAN.s2 : []) {
      progress(`S2 idle memory, ${count} peers`);
      const s2 = await withServer(spec, {}, (target) => s2IdleMemory(target, count, PLAN.settleMs));
      result.s2 = [...(result.s2 ?? []), s2];
    }
    if (wants("S3")) {
      result.s3 = await withServer(spec, raised, async (target) => {
        const s3: S3Result[] = [];
        for (const [pairs, trips] of [
          [1, PLAN.s3.one],
          [100, PLAN.s3.many],
        ] as const) {
          for (const bytes of [250, 4_096]) {
            progress(`S3 ping-pong, ${pairs} pair(s), ${bytes} B`);
            s3.push(await s3PingPong(target, pairs, bytes, trips));
          }
        }
        return s3;
      });
    }
    if (wants("S4")) {
      progress("S4 throughput");
      result.s4 = await withServer(spec, raised, (target) => s4Throughput(target, PLAN.s4, PLAN.s4StepMs));
    }
    if (wants("S5")) {
      progress("S5 call setups");
      result.s5 = await withServer(spec, {}, (target) => s5CallSetups(target, PLAN.s5, PLAN.s5StepMs));
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    progress(`failed: ${result.error}`);
  } finally {
    await stopShared();
  }
  result.generatorCpuShare =
    Math.round(((selfCpuSeconds() - genCpu) / ((performance.now() - started) / 1000)) * 100) / 100;
  return result;
}

/** Writes the table, docs/benchmarks.md's results and the chart for `report`. */
function publish(report: BenchReport): void {
  writeFileSync(`${root}docs/benchmarks.svg`, renderSvg(report));
  renderMarkdown(report, `${root}docs/benchmarks.md`);
  console.log(renderTable(report));
}

async function main(): Promise<void> {
  if (args.includes("--render")) {
    // Renders the last run again (after a change to the report's layout or the cost model), measuring nothing: the
    // cost model is derived from the measured results, so it is worked out again too.
    const report = JSON.parse(readFileSync(`${root}bench/results/latest.json`, "utf8")) as BenchReport;
    report.cost = costSummary(report.results);
    writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify(report, null, 2)}\n`);
    publish(report);
    return;
  }
  pinSelf();
  const specs = SERVERS.filter((s) => !only || only.includes(s.id));
  const startedAt = new Date();
  process.stderr.write("hot path: the room's work per relay against the control's, in process\n");
  const hot = [hotPath(250), hotPath(4_096), hotPath(250, { numbered: true }), hotPath(4_096, { numbered: true })];
  const accept = [acceptPath(0), acceptPath(500)];
  const rounds = new Map<string, ServerResult[]>(specs.map((s) => [s.id, []]));
  for (let round = 0; round < ROUNDS; round++) {
    process.stderr.write(`round ${round + 1} of ${ROUNDS}\n`);
    const order = round % 2 === 0 ? specs : [...specs].reverse();
    for (const spec of order) rounds.get(spec.id)?.push(await benchServer(spec));
  }
  // Each server's figures are read from its rounds; the first round stands for the server where one is needed.
  const results: ServerResult[] = specs.map((spec) => {
    const own = rounds.get(spec.id) ?? [];
    return { ...(own[0] as ServerResult), rounds: own };
  });
  const report = {
    mode: quick ? "quick" : "full",
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    pinning: { generator: GENERATOR_CPU, servers: SERVER_CPU },
    raisedLimitsForS3S4: RAISED_LIMITS,
    plan: { ...PLAN, rounds: ROUNDS },
    hotPath: hot,
    acceptPath: accept,
    results,
    cost: costSummary(results),
  };
  console.log(renderTable(report));
  if (!isRecord) {
    // A quick or partial run is for the one who ran it: it never replaces the committed full run and its docs.
    const file = `${root}bench/results/local/${startedAt.toISOString().replace(/[:.]/g, "-")}.json`;
    mkdirSync(`${root}bench/results/local`, { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `\nWrote ${file.slice(root.length)} (${report.durationSeconds} s); the committed results are untouched.`,
    );
    return;
  }
  mkdirSync(`${root}bench/results`, { recursive: true });
  writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${root}docs/benchmarks.svg`, renderSvg(report));
  renderMarkdown(report, `${root}docs/benchmarks.md`);
  console.log(
    `\nWrote bench/results/latest.json, docs/benchmarks.md and docs/benchmarks.svg (${report.durationSeconds} s).`,
  );
}

await main();
