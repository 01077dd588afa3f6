/** Every protocol a benchmarked server speaks, by name. */
import { type BenchPeer, openPeer, type ProtocolAdapter } from "./peer.js";
import { peerjs } from "./peerjs.js";
import { seed } from "./seed.js";
import { yWebrtc } from "./y-webrtc.js";

export type { BenchPeer, RelayData } from "./peer.js";
export { payload } from "./peer.js";

export const PROTOCOLS = { seed, peerjs, "y-webrtc": yWebrtc } satisfies Record<string, ProtocolAdapter>;
export type Protocol = keyof typeof PROTOCOLS;

export function connectPeer(protocol: Protocol, url: string, id: string, timeoutMs?: number): Promise<BenchPeer> {
  return openPeer(PROTOCOLS[protocol], url, id, timeoutMs);
}
