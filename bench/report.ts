/** Renders a benchmark report: the terminal table, the results part of docs/benchmarks.md, and the SVG chart. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { PairedJoinsResult } from "./paired-joins.js";
import type { BenchReport, ServerResult } from "./report-types.js";
import { sustains } from "./scenarios.js";
import { type Spread, spread, withinNoise } from "./stats.js";

interface Metric {
  name: string;
  unit: string;
  better: "higher" | "lower";
  get(result: ServerResult): number | undefined;
}

const S3_CONFIGS = [
  [1, 250],
  [1, 4_096],
  [100, 250],
  [100, 4_096],
] as const;

/**
 * S4's CPU per relay is read over the steps a server held up to this rate, the same offered rates for every server:
 * over the whole ramp it mixed in the overloaded steps, which a server that fails sooner has fewer of, and one
 * run's ratio to the control read 1.05× and the next 1.28×.
 */
const S4_CPU_RATE = 20_000;

function s4CpuPerRelay(s4: NonNullable<ServerResult["s4"]>): number | undefined {
  const held = s4.steps.filter((s) => s.targetRate <= S4_CPU_RATE && sustains(s));
  if (held.some((s) => s.serverCpuSeconds === undefined)) {
    // A run from before steps carried their own CPU: the whole ramp's.
    return (
      (s4.usage.serverCpuSeconds * 1e6) /
      Math.max(
        1,
        s4.steps.reduce((n, s) => n + s.delivered, 0),
      )
    );
  }
  const delivered = held.reduce((n, s) => n + s.delivered, 0);
  return delivered === 0 ? undefined : (held.reduce((n, s) => n + (s.serverCpuSeconds ?? 0), 0) * 1e6) / delivered;
}

function metrics(report: BenchReport): Metric[] {
  const list: Metric[] = [
    {
      name: `S1 connections/s to ${report.results.find((r) => r.s1)?.s1?.peers ?? "?"} peers`,
      unit: "/s",
      better: "higher",
      get: (r) => r.s1?.connectionsPerSecond,
    },
    { name: "S1 time to registered p50", unit: "ms", better: "lower", get: (r) => r.s1?.registered.p50 },
    { name: "S1 time to registered p99", unit: "ms", better: "lower", get: (r) => r.s1?.registered.p99 },
    { name: "S1 failures", unit: "", better: "lower", get: (r) => r.s1?.failures },
    {
      name: "S1 server CPU per connection",
      unit: "ms",
      better: "lower",
      get: (r) => r.s1 && (r.s1.usage.serverCpuSeconds * 1000) / r.s1.peers,
    },
  ];
  const s2Counts = report.results.find((r) => r.s2)?.s2?.map((s) => s.peers) ?? [];
  for (const count of s2Counts) {
    list.push(
      {
        name: `S2 RSS with ${count} idle peers`,
        unit: "MiB",
        better: "lower",
        get: (r) => r.s2?.find((s) => s.peers === count)?.rssMiB,
      },
      {
        name: `S2 bytes per idle peer (${count})`,
        unit: "B",
        better: "lower",
        get: (r) => r.s2?.find((s) => s.peers === count)?.bytesPerPeer,
      },
    );
  }
  for (const [pairs, bytes] of S3_CONFIGS) {
    const pick = (r: ServerResult) => r.s3?.find((s) => s.pairs === pairs && s.bytes === bytes);
    const label = `S3 RTT ${pairs} pair${pairs > 1 ? "s" : ""}, ${bytes} B`;
    list.push(
      { name: `${label} p50`, unit: "ms", better: "lower", get: (r) => pick(r)?.rtt.p50 },
      { name: `${label} p99`, unit: "ms", better: "lower", get: (r) => pick(r)?.rtt.p99 },
      { name: `${label} p99.9`, unit: "ms", better: "lower", get: (r) => pick(r)?.rtt.p999 },
    );
  }
  list.push(
    { name: "S3 messages lost", unit: "", better: "lower", get: (r) => r.s3?.reduce((sum, s) => sum + s.lost, 0) },
    { name: "S4 highest sustained relays/s", unit: "/s", better: "higher", get: (r) => r.s4?.maxSustainedRate },
    {
      name: `S4 server CPU per relay, steps held up to ${S4_CPU_RATE.toLocaleString("en-US")}/s`,
      unit: "µs",
      better: "lower",
      get: (r) => r.s4 && s4CpuPerRelay(r.s4),
    },
    { name: "S5 call setups/s at saturation", unit: "/s", better: "higher", get: (r) => r.s5?.maxSetupsPerSecond },
    {
      name: "S5 setup time p99 at 10 calls/s",
      unit: "ms",
      better: "lower",
      get: (r) => r.s5?.steps.find((s) => s.offeredPerSecond === 10)?.setup.p99,
    },
    {
      name: "S5 relays lost (all steps)",
      unit: "",
      better: "lower",
      get: (r) => r.s5?.steps.reduce((sum, s) => sum + s.lost, 0),
    },
    {
      name: "load generator CPU in S4's busiest step",
      unit: "cores",
      better: "lower",
      get: (r) => (r.s4 ? Math.max(...r.s4.steps.map((s) => s.generatorCpu)) : undefined),
    },
  );
  return list;
}

/** A figure over a server's rounds (one round when the report has none). */
function figure(metric: Metric, r: ServerResult): Spread | undefined {
  return spread((r.rounds ?? [r]).map((round) => metric.get(round)));
}

/** The ratio of `r` to `reference`, round by round (round i against the reference's round i). */
function ratioSpread(metric: Metric, r: ServerResult, reference: ServerResult | undefined): Spread | undefined {
  if (!reference) return undefined;
  const ours = r.rounds ?? [r];
  const theirs = reference.rounds ?? [reference];
  return spread(
    ours.map((round, i) => {
      const [a, b] = [metric.get(round), theirs[i] && metric.get(theirs[i] as ServerResult)];
      return a === undefined || b === undefined || b === 0 || Number.isNaN(a) || Number.isNaN(b) ? undefined : a / b;
    }),
  );
}

/** `median [min–max]`, or the value alone for one round. */
function formatSpread(s: Spread | undefined): string {
  if (!s) return "-";
  if (s.rounds === 1 || s.min === s.max) return format(s.median);
  return `${format(s.median)} [${format(s.min)}–${format(s.max)}]`;
}

/** `0.91× [0.85–0.97]`, marked `(noise)` when its rounds disagree on whether it is a win or a loss. */
function formatRatio(s: Spread | undefined): string {
  if (!s) return "";
  const range = s.rounds > 1 ? ` [${s.min.toFixed(2)}–${s.max.toFixed(2)}]` : "";
  return `${s.median.toFixed(2)}×${range}${withinNoise(s) ? " (noise)" : ""}`;
}

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "-";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return String(Math.round(value * 100) / 100);
}

export function renderTable(report: BenchReport): string {
  const ceiling = report.results.find((r) => r.id === "ws-ceiling");
  const control = report.results.find((r) => r.id === "control-do");
  const width = Math.max(...report.results.map((r) => r.label.length));
  const lines = [
    `WebRTC signaling benchmark (${report.mode}), ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}`,
    `S3 and S4 ran this project with ${Object.entries(report.raisedLimitsForS3S4)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`,
    "(a closed or open loop on one connection exceeds its default 50 messages/s); S1, S2 and S5 ran with the defaults.",
    "",
    ...hotPathLines(report),
    "",
  ];
  for (const metric of metrics(report)) {
    lines.push(
      `${metric.name}${metric.unit ? ` (${metric.unit}` : " ("}${metric.unit ? ", " : ""}${metric.better} is better)`,
    );
    for (const r of report.results) {
      const vsCeiling = r === ceiling ? "" : formatRatio(ratioSpread(metric, r, ceiling));
      const vsControl = r === control ? "" : formatRatio(ratioSpread(metric, r, control));
      lines.push(
        `  ${r.label.padEnd(width)}  ${formatSpread(figure(metric, r)).padStart(24)}  ${vsCeiling ? `${vsCeiling} ceiling`.padStart(30) : "".padStart(30)}  ${vsControl ? `${vsControl} control` : ""}`,
      );
    }
  }
  lines.push(...notes(report));
  if (report.cost) lines.push("", ...costLines(report.cost));
  return lines.join("\n");
}

/** What a reader must know to read the figures right: failures, and where the generator was the limit. */
function notes(report: BenchReport): string[] {
  const lines: string[] = [];
  const rounds = report.results.find((r) => r.rounds)?.rounds?.length ?? 1;
  if (rounds > 1) {
    lines.push(
      `Each figure is the median of ${rounds} rounds, the servers taking turns round by round, with [min–max] over the rounds; each ratio is taken round by round and is marked (noise) when its rounds disagree on whether it is a win or a loss.`,
    );
  }
  if (report.joinPairs) {
    lines.push(
      "S1's server CPU per connection compares fresh servers run one after the other; for this project against the control, quote the paired connection setup figure above, both servers up at once.",
    );
  }
  for (const r of report.results) {
    for (const error of new Set((r.rounds ?? [r]).map((round) => round.error).filter(Boolean))) {
      lines.push(`! ${r.label}: ${error}`);
    }
    if ((r.rounds ?? [r]).some((round) => round.s4?.generatorBound)) {
      lines.push(
        `note: S4 for ${r.label} stopped where the load generator ran out of CPU; the server's own limit is higher.`,
      );
    }
  }
  return lines;
}

function hotPathLines(report: BenchReport): string[] {
  return [
    "Hot path, in process: the front's and the room's work per relay (rate and byte budgets, validate, route, number, splice) vs the control's (parse, stringify)",
    ...report.hotPath.map(
      (h) =>
        `  ${h.bytes} B${h.numbered ? ", numbered and acked" : ""}: ${h.oursNsPerRelay} ns vs ${h.controlNsPerRelay} ns, ${h.ratio.toFixed(2)}× control`,
    ),
    ...(report.acceptPath
      ? [
          "Connection path, in process: open, register (the answer listing the room) and close, vs the control's parse, Map and stringify",
          ...report.acceptPath.map(
            (a) =>
              `  into a room of ${a.peers}: ${a.oursNsPerConnection} ns vs ${a.controlNsPerConnection} ns, ${a.ratio.toFixed(2)}× control`,
          ),
        ]
      : []),
    ...(report.joinPairs ? [joinPairsLine(report.joinPairs)] : []),
  ];
}

/** The paired connection figure: what S1's CPU per connection against the control is quoted from. */
function joinPairsLine(pairs: PairedJoinsResult): string {
  const [ours, theirs] = [0, 1].map((i) => spread(pairs.msPerJoin.map((ms) => ms[i])));
  const ms = (s: Spread | undefined) => `${s ? s.median.toFixed(3) : "-"} ms`;
  return [
    `Connection setup paired (both servers up, joins alternating; ${pairs.runs} runs of ${pairs.joins.toLocaleString("en-US")} joins):`,
    `CPU per connection ${pairs.servers[0]} ${ms(ours)} vs ${pairs.servers[1]} ${ms(theirs)},`,
    `${formatRatio(spread(pairs.ratios))} control`,
  ].join(" ");
}

function costLines(cost: NonNullable<BenchReport["cost"]>): string[] {
  const c = cost.per1000Calls;
  const p = cost.polling.per1000Calls;
  return [
    `Cost model (from ${cost.measuredOn}'s S5: ${cost.messagesPerCall} incoming messages and ${cost.cpuMsPerCall} ms of room CPU per call setup)`,
    `  per 1,000 call setups: ${c.workerRequests} Worker requests, ${c.doRequests} DO requests, ${c.rowsWritten} rows written, ${c.rowsRead} rows read, ${c.gbSeconds} GB-s`,
    `  free plan: ${cost.freePlan.perDay.toLocaleString("en-US")} call setups/day (bound by ${cost.freePlan.boundBy}); paid plan: $${cost.paidDollarsPerMillionCalls} per million call setups`,
    `  polling design (p2pcf, 1.5 s polls over a 3 s setup): ${p.workerRequests} Worker requests per 1,000 setups; free plan ${cost.polling.freePlan.perDay.toLocaleString("en-US")}/day; $${cost.polling.paidDollarsPerMillionCalls} per million`,
    "  per idle peer-hour:",
    ...cost.idle.map(
      (d) =>
        `    ${d.design}: ${d.workerRequestsPerPeerHour} Worker requests, ${d.doRequestsPerPeerHour} DO requests per peer; ${d.gbSecondsPerRoomHour} GB-s per room`,
    ),
    ...(cost.reliability
      ? [
          `  presence liveness sweep: ${cost.reliability.presenceSweep.doRequestsPerRoomDay} DO requests and ${cost.reliability.presenceSweep.rowsWrittenPerRoomDay} rows written per room-day (${cost.reliability.presenceSweep.note})`,
          `  a dropped peer held for resume, with 10 relays kept for it: ${cost.reliability.rowsPerDropWith10KeptRelays} rows written, whatever the grace period; a goodbye: 0`,
        ]
      : []),
    ...(cost.lobbyMatchOf2
      ? [
          `  a lobby match of 2 (before the room): ${cost.lobbyMatchOf2.perMatch.workerRequests} Worker and ${cost.lobbyMatchOf2.perMatch.doRequests} Durable Object requests, 0 rows written; free plan ${cost.lobbyMatchOf2.freePlan.perDay.toLocaleString("en-US")} matches/day (bound by ${cost.lobbyMatchOf2.freePlan.boundBy}); $${cost.lobbyMatchOf2.paidDollarsPerMillionMatches} per million`,
        ]
      : []),
    ...(cost.persistedRegistrations
      ? [
          `  with PERSIST_REGISTRATIONS (ids held through a kill or a deploy): ${cost.persistedRegistrations.rowsWrittenPer1000Calls} rows written per 1,000 setups; free plan ${cost.persistedRegistrations.freePlan.perDay.toLocaleString("en-US")}/day (bound by ${cost.persistedRegistrations.freePlan.boundBy}); $${cost.persistedRegistrations.paidDollarsPerMillionCalls} per million`,
        ]
      : []),
  ];
}

const BEGIN = "<!-- results:begin (written by npm run bench) -->";
const END = "<!-- results:end -->";

/** Replaces the results part of docs/benchmarks.md (between the markers); the method text around it is kept. */
export function renderMarkdown(report: BenchReport, path: string): void {
  const servers = report.results;
  const ceiling = servers.find((r) => r.id === "ws-ceiling");
  const control = servers.find((r) => r.id === "control-do");
  const ours = servers.find((r) => r.id === "workerd");
  const rows = metrics(report).map((m) => {
    const cells = servers.map((r) => formatSpread(figure(m, r)));
    const vsControl = ours ? formatRatio(ratioSpread(m, ours, control)) : "";
    const vsCeiling = ours ? formatRatio(ratioSpread(m, ours, ceiling)) : "";
    return `| ${m.name}${m.unit ? ` (${m.unit})` : ""} | ${cells.join(" | ")} | ${vsControl} | ${vsCeiling} |`;
  });
  const section = [
    BEGIN,
    "",
    `Run of ${report.date.slice(0, 10)} (${report.mode}, ${report.durationSeconds} s) on ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}.`,
    "The last two columns are this project in workerd direct against the control DO and against the Node ceiling.",
    "",
    `| Metric | ${servers.map((r) => r.label).join(" | ")} | ours ÷ control | ours ÷ ceiling |`,
    `| --- | ${servers.map(() => "---:").join(" | ")} | ---: | ---: |`,
    ...rows,
    "",
    ...notes(report).flatMap((line) => [line, ""]),
    "![Benchmark chart](benchmarks.svg)",
    "",
    "```text",
    ...hotPathLines(report),
    "```",
    "",
    ...(report.cost ? ["```text", ...costLines(report.cost), "```", ""] : []),
    END,
  ].join("\n");
  const current = existsSync(path) ? readFileSync(path, "utf8") : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + END.length)
      : `${current}\n${section}\n`;
  writeFileSync(path, next);
}

/** Four small bar charts: S1 connections/s, S4 relays/s, S5 call setups/s, and S3's round trip; medians, whiskers min–max. */
export function renderSvg(report: BenchReport): string {
  const panels: Array<[string, (r: ServerResult) => number | undefined]> = [
    ["S1 connections/s (higher is better)", (r) => r.s1?.connectionsPerSecond],
    ["S4 sustained relays/s (higher is better)", (r) => r.s4?.maxSustainedRate],
    ["S5 call setups/s (higher is better)", (r) => r.s5?.maxSetupsPerSecond],
    [
      "S3 RTT p50, 1 pair, 250 B (ms, lower is better)",
      (r) => r.s3?.find((s) => s.pairs === 1 && s.bytes === 250)?.rtt.p50,
    ],
  ];
  const barHeight = 18;
  const labelWidth = 300;
  const chartWidth = 360;
  const panelHeight = 30 + report.results.length * (barHeight + 4);
  const parts: string[] = [];
  panels.forEach(([title, get], i) => {
    const y0 = i * (panelHeight + 10);
    const spreads = report.results.map((r) => spread((r.rounds ?? [r]).map(get)));
    const values = spreads.map((s) => s?.median ?? 0);
    const max = Math.max(1, ...spreads.map((s) => s?.max ?? 0));
    parts.push(`<text x="0" y="${y0 + 16}" font-weight="bold">${escapeXml(title)}</text>`);
    report.results.forEach((r, j) => {
      const y = y0 + 26 + j * (barHeight + 4);
      const w = Math.max(1, ((values[j] ?? 0) / max) * chartWidth);
      const ours = r.id === "workerd" || r.id === "wrangler-dev" || r.id === "serve";
      const s = spreads[j];
      const x = (v: number) => (labelWidth + (v / max) * chartWidth).toFixed(1);
      const whisker =
        s && s.rounds > 1
          ? `<line x1="${x(s.min)}" x2="${x(s.max)}" y1="${y + barHeight / 2}" y2="${y + barHeight / 2}" stroke="#333" stroke-width="1.5"/>`
          : "";
      const end = s && s.rounds > 1 ? Math.max(w, (s.max / max) * chartWidth) : w;
      parts.push(
        `<text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end">${escapeXml(r.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${ours ? "#f38020" : "#8a9bb0"}"/>`,
        whisker,
        `<text x="${labelWidth + end + 6}" y="${y + 13}">${escapeXml(formatSpread(s))}</text>`,
      );
    });
  });
  const height = panels.length * (panelHeight + 10);
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${labelWidth + chartWidth + 90}" height="${height}" font-family="sans-serif" font-size="12">
<title>Signaling servers compared (${report.mode} run of ${report.date.slice(0, 10)})</title>
<rect width="100%" height="100%" fill="white"/>
${parts.join("\n")}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
