/**
 * `npm run bench:joins`: the server's CPU per connection against the control's, with both servers up at once and
 * the joins alternating between them (see paired-joins.ts); `npm run bench` takes the same figure in S1.
 * Usage: node --import tsx bench/join-pairs.ts [--joins=1000] [--runs=5] [--servers=workerd,control-do]
 */
import { cpus } from "node:os";
import { textOption, wholeNumberOption } from "../tools/cli-options.js";
import { pairedJoins } from "./paired-joins.js";
import { SERVERS, type ServerSpec } from "./servers.js";
import { round } from "./stats.js";

const joins = wholeNumberOption("joins", 1_000, 20_000);
const runs = wholeNumberOption("runs", 5, 21);
const ids = textOption("servers", "workerd,control-do").split(",");
const specs = ids.map((id) => {
  const spec = SERVERS.find((s) => s.id === id);
  if (spec?.protocol !== "seed") throw new Error(`--servers: ${id} is not a server of the seed's protocol`);
  return spec;
});
if (specs.length !== 2) throw new Error("--servers names two servers: the one measured and the one it is held to");

const result = await pairedJoins(specs as [ServerSpec, ServerSpec], {
  joins,
  runs,
  port: 18_900,
  cpu: cpus().length > 1 ? "1" : "0",
  progress: (line) => console.log(line),
});
const sorted = [...result.ratios].sort((x, y) => x - y);
console.log(
  `CPU per join, ${specs[0]?.id} ÷ ${specs[1]?.id}: median ${round(sorted[Math.floor(runs / 2)] as number)}× ` +
    `[${round(sorted[0] as number)}–${round(sorted[runs - 1] as number)}] over ${runs} runs of ${joins} joins each`,
);
