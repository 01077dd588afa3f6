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
import { wholeNumberOption } from "../tools/cli-options.js";
import { acceptPath } from "./accept-path.js";
import { costSummary } from "./cost-model.js";
import { hotPath } from "./hot-path.js";
import { pairedJoins } from "./paired-joins.js";
import { selfCpuSeconds } from "./proc.js";
import { renderMarkdown, renderSvg, renderTable } from "./report.js";
import type { BenchReport, ServerResult } from "./report-types.js";
import { s5CallSetups } from "./scenario-calls.js";
import type { Target } from "./scenario-kit.js";
import { type S3Result, s1ConnectRegister, s2IdleMemory, s3PingPong, s4Paired, s4Throughput } from "./scenarios.js";
import { SERVERS, type ServerSpec } from "./servers.js";

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
for (const name of scenarios) {
  if (/^S[1-5]$/.test(name)) continue;
  console.error(`--scenarios: ${name} is not one of S1, S2, S3, S4, S5`);
  process.exit(2);
}
const ROUNDS = wholeNumberOption("rounds", 5, 21);
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
      s3: { one: 2_000, many: 10 },
      s4: ramp(4_000, 64_000),
      s4StepMs: 600,
      // Up to past where every server here saturates (S1's connections/s halved: two a call).
      s5: [10, 100, 400, 800],
      s5StepMs: 1_500,
    }
  : {
      s1: 1_000,
      s2: [2_000],
      // Past hibernation (about 10 s idle) on a Durable Object server; a Node server's memory settles in one.
      settleMs: 12_000,
      s3: { one: 3_000, many: 20 },
      // S4 and S5 were two thirds of a 43-minute run, at 800 ms steps from 2,000/s and six 2.5 s steps: no server
      // here sustains less than 4,000 relays/s. S5 keeps a step at 200: without it, a server that held 300 calls/s
      // read as the 100 it held at the step below.
      s4: ramp(4_000, 64_000),
      s4StepMs: 600,
      s5: [10, 100, 200, 400, 800],
      s5StepMs: 1_500,
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

/** A fresh server of `spec` for one scenario's round; stopped when `body` is done. */
async function withServer<T>(
  spec: ServerSpec,
  vars: Record<string, string>,
  body: (target: Target) => Promise<T>,
): Promise<T> {
  return withServers(
    [spec],
    () => vars,
    ([target]) => body(target as Target),
  );
}

/** Fresh servers of `specs`, all up at once; stopped when `body` is done. */
async function withServers<T>(
  specs: ServerSpec[],
  varsOf: (spec: ServerSpec) => Record<string, string>,
  body: (targets: Target[]) => Promise<T>,
): Promise<T> {
  const servers = await Promise.all(specs.map((spec) => spec.start(port++, varsOf(spec), SERVER_CPU)));
  try {
    const targets = specs.map((spec, i): Target => {
      const server = servers[i] as (typeof servers)[number];
      return {
        protocol: spec.protocol,
        pid: server.pid,
        roomUrl: (name) =>
          spec.protocol === "seed" ? `${server.url.replace(/\/rooms\/bench$/, "")}/rooms/${name}` : server.url,
      };
    });
    return await body(targets);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/**
 * The servers whose S4 runs side by side when both are in a run (s4Paired: both up, their steps taking turns):
 * this project and the control, whose ratio is the one quoted. Both have the same limits (raised alike).
 */
const S4_PAIR = ["workerd", "control-do"];

/** A round's servers, one by one, except S4's pair, which runs as one. */
function unitsOf(scenario: Scenario, order: ServerSpec[]): ServerSpec[][] {
  const pair = order.filter((spec) => S4_PAIR.includes(spec.id));
  if (scenario !== "S4" || pair.length !== 2) return order.map((spec) => [spec]);
  const units: ServerSpec[][] = [];
  for (const spec of order) {
    if (!S4_PAIR.includes(spec.id)) units.push([spec]);
    else if (spec === pair[0]) units.push(pair);
  }
  return units;
}

const SCENARIOS = ["S1", "S2", "S3", "S4", "S5"] as const;
type Scenario = (typeof SCENARIOS)[number];

/**
 * One round of `scenario` against fresh servers of `spec` (a server left with idle rooms by an earlier scenario
 * evicts them about 10 s later, which showed up as 100 ms stalls in S3 and S4), its figures added to `into`.
 * S3 and S4 drive one connection past its default rate, so this project runs them with raised limits.
 */
async function runScenario(spec: ServerSpec, scenario: Scenario, into: ServerResult): Promise<void> {
  const raised = spec.hasLimits ? RAISED_LIMITS : {};
  switch (scenario) {
    case "S1":
      into.s1 = await withServer(spec, {}, (target) => s1ConnectRegister(target, PLAN.s1));
      return;
    case "S2":
      into.s2 = [];
      for (const count of PLAN.s2) {
        const settleMs = spec.hibernates ? PLAN.settleMs : Math.min(PLAN.settleMs, 1_000);
        into.s2.push(await withServer(spec, {}, (target) => s2IdleMemory(target, count, settleMs)));
      }
      return;
    case "S3":
      into.s3 = await withServer(spec, raised, async (target) => {
        const s3: S3Result[] = [];
        for (const [pairs, trips] of [
          [1, PLAN.s3.one],
          [100, PLAN.s3.many],
        ] as const) {
          for (const bytes of [250, 4_096]) s3.push(await s3PingPong(target, pairs, bytes, trips));
        }
        return s3;
      });
      return;
    case "S4":
      into.s4 = await withServer(spec, raised, (target) => s4Throughput(target, PLAN.s4, PLAN.s4StepMs));
      return;
    case "S5":
      into.s5 = await withServer(spec, {}, (target) => s5CallSetups(target, PLAN.s5, PLAN.s5StepMs));
      return;
  }
}

/** S4 for the pair, side by side on fresh servers, with the same raised limits. */
async function runPairedS4(pair: ServerSpec[], into: ServerResult[]): Promise<void> {
  const varsOf = (spec: ServerSpec) => (spec.hasLimits ? RAISED_LIMITS : {});
  const results = await withServers(pair, varsOf, (targets) =>
    s4Paired(targets as [Target, Target], PLAN.s4, PLAN.s4StepMs),
  );
  results.forEach((result, i) => {
    (into[i] as ServerResult).s4 = result;
  });
}

function progress(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

/**
 * Every scenario in turn, each in rounds: in a round every server runs the scenario once, on a fresh server, one
 * after the other (A, B, then B, A, ...), so that the two runs a ratio compares are seconds apart, not minutes.
 */
async function benchServers(specs: ServerSpec[]): Promise<ServerResult[]> {
  const rounds = new Map(
    specs.map((spec) => [
      spec.id,
      Array.from({ length: ROUNDS }, (): ServerResult => ({ id: spec.id, label: spec.label })),
    ]),
  );
  const generator = new Map(specs.map((spec) => [spec.id, { cpuSeconds: 0, seconds: 0 }]));
  for (const scenario of SCENARIOS.filter(wants)) {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? specs : [...specs].reverse();
      for (const unit of unitsOf(scenario, order)) {
        const results = unit.map((spec) => (rounds.get(spec.id) as ServerResult[])[round] as ServerResult);
        const [cpu, started] = [selfCpuSeconds(), performance.now()];
        try {
          if (unit.length === 1) await runScenario(unit[0] as ServerSpec, scenario, results[0] as ServerResult);
          else await runPairedS4(unit, results);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          for (const result of results)
            result.error = [result.error, `${scenario}: ${message}`].filter(Boolean).join("; ");
          progress(`${unit.map((spec) => spec.id).join(" and ")}: ${scenario} failed: ${message}`);
        }
        for (const spec of unit) {
          const used = generator.get(spec.id) as { cpuSeconds: number; seconds: number };
          used.cpuSeconds += selfCpuSeconds() - cpu;
          used.seconds += (performance.now() - started) / 1000;
        }
        progress(
          `${scenario} round ${round + 1}/${ROUNDS} ${unit.map((spec) => spec.id).join(" and ")}: ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
      }
    }
  }
  // Each server's figures are read from its rounds; the first round stands for the server where one is needed.
  return specs.map((spec) => {
    const own = rounds.get(spec.id) as ServerResult[];
    const used = generator.get(spec.id) as { cpuSeconds: number; seconds: number };
    const generatorCpuShare = Math.round((used.cpuSeconds / Math.max(used.seconds, 1e-9)) * 100) / 100;
    return { ...(own[0] as ServerResult), generatorCpuShare, rounds: own };
  });
}

/**
 * S1's CPU per connection of this project (workerd) against the control's, paired: both up, the joins taking turns
 * (paired-joins.ts). Each S1 round runs its own fresh server, and CPU per connection read that way ranged over ±20%
 * between rounds; paired it holds within a few percent.
 */
async function pairedAgainstControl(specs: ServerSpec[]) {
  const [ours, control] = ["workerd", "control-do"].map((id) => specs.find((s) => s.id === id));
  if (!wants("S1") || !ours || !control) return undefined;
  return pairedJoins([ours, control], { joins: PLAN.s1, runs: ROUNDS, port: 18_950, cpu: SERVER_CPU, progress });
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
  const results = await benchServers(specs);
  const joinPairs = await pairedAgainstControl(specs);
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
    ...(joinPairs ? { joinPairs } : {}),
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
