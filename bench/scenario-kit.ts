/** What every scenario shares: the server under test, the counts for the cost model, and peer helpers. */

import { treeCpuSeconds } from "./proc.js";
import type { Protocol } from "./protocols/index.js";
import { type BenchPeer, connectPeer } from "./protocols/index.js";
import { round } from "./stats.js";

export interface Target {
  protocol: Protocol;
  /** The URL a peer of room `name` connects to. */
  roomUrl(name: string): string;
  /** The server's root process, for memory and CPU. */
  pid: number;
}

/** What Cloudflare would count, as measured by the clients and the server's CPU time. */
export interface Usage {
  connections: number;
  clientMessages: number;
  serverCpuSeconds: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.now();

/** Connects `ids` with at most `concurrency` handshakes in flight; records each time to registered. */
export async function openPeers(target: Target, room: string, ids: string[], concurrency: number) {
  const peers: BenchPeer[] = [];
  const times: number[] = [];
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const started = now();
      try {
        peers.push(await connectPeer(target.protocol, target.roomUrl(room), id));
        times.push(now() - started);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { peers, times, failures };
}

export async function closeAll(peers: BenchPeer[]): Promise<void> {
  await Promise.all(peers.map((peer) => peer.close()));
}

export function usageOf(peers: BenchPeer[], cpuBefore: number, target: Target): Usage {
  return {
    connections: peers.length,
    clientMessages: peers.reduce((sum, peer) => sum + peer.counts.sent, 0),
    serverCpuSeconds: round(treeCpuSeconds(target.pid) - cpuBefore, 3),
  };
}

export function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}
