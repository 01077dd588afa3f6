/**
 * The server's CPU per connection (open, register, the answer) against another's, with both servers up at once and
 * the joins alternating between them, so that whatever the shared machine does in a given second falls on both.
 * S1 measures each server in its own round on its own fresh server; this pairs them join by join, which steadies
 * the ratio to about ±3% (the control against itself: 0.94-1.00) where S1's rounds range over ±20%. Used by
 * `npm run bench` (S1, this project against the control) and `npm run bench:joins`.
 */
import { treeCpuSeconds } from "./proc.js";
import { type BenchPeer, connectPeer } from "./protocols/index.js";
import { closeAll, sleep } from "./scenario-kit.js";
import type { ServerSpec } from "./servers.js";
import { round } from "./stats.js";

export interface PairedJoinsResult {
  /** The server measured and the one it is held to. */
  servers: [string, string];
  joins: number;
  runs: number;
  /** CPU per join (ms) of each server, run by run. */
  msPerJoin: Array<[number, number]>;
  /** The first server's CPU per join ÷ the second's, run by run. */
  ratios: number[];
}

/**
 * Every run joins the same room on each server, which one resident peer keeps from emptying: an emptied room's
 * object is evicted about 10 s later, and that landed in a later run on one server only (one run of the control
 * against itself read 0.77×).
 */
const ROOM = "pairs";

export async function pairedJoins(
  specs: [ServerSpec, ServerSpec],
  options: { joins: number; runs: number; port: number; cpu: string; progress?: (line: string) => void },
): Promise<PairedJoinsResult> {
  for (const spec of specs) {
    if (spec.protocol !== "seed") throw new Error(`${spec.id} is not a server of the seed's protocol`);
  }
  const servers = await Promise.all(specs.map((spec, i) => spec.start(options.port + i, {}, options.cpu)));
  const roomUrl = (i: number, room: string) => `${servers[i]?.url.replace(/\/rooms\/bench$/, "")}/rooms/${room}`;
  const residents: BenchPeer[] = [];
  try {
    residents.push(...(await Promise.all([0, 1].map((s) => connectPeer("seed", roomUrl(s, ROOM), "resident")))));
    const warm: BenchPeer[] = [];
    for (let i = 0; i < 100; i++) {
      for (const s of [0, 1]) warm.push(await connectPeer("seed", roomUrl(s, ROOM), `warm-${i}`));
    }
    await closeAll(warm);
    const result: PairedJoinsResult = {
      servers: [specs[0].id, specs[1].id],
      joins: options.joins,
      runs: options.runs,
      msPerJoin: [],
      ratios: [],
    };
    for (let run = 0; run < options.runs; run++) {
      await sleep(300);
      const before = servers.map((s) => treeCpuSeconds(s.pid));
      const peers: BenchPeer[] = [];
      let next = 0;
      // The joins take turns between the servers, 50 handshakes in flight.
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < 2 * options.joins) {
            const n = next++;
            peers.push(await connectPeer("seed", roomUrl(n % 2, ROOM), `run${run}-${n >> 1}`));
          }
        }),
      );
      const [a, b] = servers.map((s, i) => ((treeCpuSeconds(s.pid) - (before[i] as number)) * 1000) / options.joins);
      await closeAll(peers);
      result.msPerJoin.push([a as number, b as number]);
      result.ratios.push((a as number) / (b as number));
      options.progress?.(
        `joins run ${run + 1}/${options.runs}: ${specs[0].id} ${round(a as number, 3)} ms, ${specs[1].id} ${round(b as number, 3)} ms a join: ${round((a as number) / (b as number))}×`,
      );
    }
    return result;
  } finally {
    await closeAll(residents);
    await Promise.all(servers.map((s) => s.stop()));
  }
}
