/**
 * `npm run bench:joins`: the server's CPU per connection (open, register, the answer) against the control's, with
 * both servers up at once and the joins alternating between them, so that whatever the shared machine does in a
 * given second falls on both. S1 measures each server in its own round; this pairs them join by join, which
 * steadies the ratio to about ±2% (the control against itself: 0.98-1.02) where S1's rounds range over ±20%.
 * Usage: node --import tsx bench/join-pairs.ts [--joins=1000] [--runs=5] [--servers=workerd,control-do]
 */
import { cpus } from "node:os";
import { textOption, wholeNumberOption } from "../tools/cli-options.js";
import { treeCpuSeconds } from "./proc.js";
import { type BenchPeer, connectPeer } from "./protocols/index.js";
import { closeAll, sleep } from "./scenario-kit.js";
import { SERVERS } from "./servers.js";
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

const serverCpu = cpus().length > 1 ? "1" : "0";
const servers = await Promise.all(specs.map((spec, i) => spec.start(18_900 + i, {}, serverCpu)));
const roomUrl = (i: number, room: string) => `${servers[i]?.url.replace(/\/rooms\/bench$/, "")}/rooms/${room}`;

/**
 * Every run joins the same room on each server, which one resident peer keeps from emptying: an emptied room's
 * object is evicted about 10 s later, and that landed in a later run on one server only (one run of the control
 * against itself read 0.77×).
 */
const ROOM = "pairs";
const residents = await Promise.all([0, 1].map((s) => connectPeer("seed", roomUrl(s, ROOM), "resident")));
const warm: BenchPeer[] = [];
for (let i = 0; i < 100; i++) {
  for (const s of [0, 1]) warm.push(await connectPeer("seed", roomUrl(s, ROOM), `warm-${i}`));
}
await closeAll(warm);

/** `joins` peers into the room on each server, taking turns, 50 handshakes in flight; CPU per join of each. */
async function pairedRun(run: number): Promise<[number, number]> {
  await sleep(300);
  const before = servers.map((s) => treeCpuSeconds(s.pid));
  const peers: BenchPeer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < 2 * joins) {
        const n = next++;
        peers.push(await connectPeer("seed", roomUrl(n % 2, ROOM), `run${run}-${n >> 1}`));
      }
    }),
  );
  const used = servers.map((s, i) => ((treeCpuSeconds(s.pid) - (before[i] as number)) * 1000) / joins);
  await closeAll(peers);
  return [used[0] as number, used[1] as number];
}

try {
  const ratios: number[] = [];
  for (let run = 0; run < runs; run++) {
    const [a, b] = await pairedRun(run);
    ratios.push(a / b);
    console.log(
      `run ${run + 1}/${runs}: ${specs[0]?.id} ${round(a, 3)} ms, ${specs[1]?.id} ${round(b, 3)} ms a join: ${round(a / b)}×`,
    );
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(
    `CPU per join, ${specs[0]?.id} ÷ ${specs[1]?.id}: median ${round(sorted[Math.floor(runs / 2)] as number)}× ` +
      `[${round(sorted[0] as number)}–${round(sorted[runs - 1] as number)}] over ${runs} runs of ${joins} joins each`,
  );
} finally {
  await closeAll(residents);
  await Promise.all(servers.map((s) => s.stop()));
}
