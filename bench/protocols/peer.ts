/**
 * A benchmark peer, whatever protocol it speaks: each protocol is a small adapter (seed.ts, peerjs.ts,
 * y-webrtc.ts) that says how to register, relay and read what arrives; `openPeer` does the rest over the shared
 * test socket.
 */
import { connectWs } from "../../tools/ws-node.js";

export type RelayData = Record<string, unknown>;

export interface BenchPeer {
  readonly id: string;
  relay(to: string, data: RelayData): void;
  /** The other peers' ids, or undefined where the protocol has no such request. */
  listPeers(): Promise<string[]> | undefined;
  /** The other peers' ids as the registration's answer listed them, where it lists them. */
  readonly peersAtRegistration: string[] | undefined;
  onRelay: (from: string, data: RelayData) => void;
  onError: (code: string) => void;
  close(): Promise<void>;
  /** Messages this peer sent and received, for the cost model. */
  readonly counts: { sent: number; received: number };
}

/** What one incoming message means to a benchmark peer. */
export type Reading =
  | { kind: "registered"; peers?: string[] }
  | { kind: "relay"; from: string; data: RelayData }
  | { kind: "peers"; peers: string[] }
  | { kind: "error"; code: string; text: string }
  | undefined;

export interface ProtocolAdapter {
  /** The URL peer `id` connects to, from the server's base URL. */
  url(base: string, id: string): string;
  /** Sent once the socket is open; the protocol registers by these (or by the URL, sending none). */
  hello(id: string): unknown[];
  relay(from: string, to: string, data: RelayData): unknown;
  /** The request that lists peers, where the protocol has one. */
  listPeers?: unknown;
  read(message: Record<string, unknown>): Reading;
}

export async function openPeer(adapter: ProtocolAdapter, base: string, id: string, timeoutMs = 15_000) {
  const counts = { sent: 0, received: 0 };
  const listWaiters: Array<(peers: string[]) => void> = [];
  let settle: ((error?: Error) => void) | undefined;
  let peer: BenchPeer | undefined;
  let peersAtRegistration: string[] | undefined;
  // Listening from the first frame: PeerJS's OPEN can come in the same tick as the socket opens.
  const onMessage = (message: Record<string, unknown>) => {
    counts.received++;
    const reading = adapter.read(message);
    if (reading?.kind === "registered") {
      peersAtRegistration = reading.peers;
      settle?.();
    } else if (reading?.kind === "relay") peer?.onRelay(reading.from, reading.data);
    else if (reading?.kind === "peers") listWaiters.shift()?.(reading.peers);
    else if (reading?.kind === "error") {
      if (settle) settle(new Error(`${id}: ${reading.code}: ${reading.text}`));
      else peer?.onError(reading.code);
    }
  };
  const registered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => settle?.(new Error(`${id}: not registered within ${timeoutMs} ms`)), timeoutMs);
    settle = (error) => {
      clearTimeout(timer);
      settle = undefined;
      if (error) reject(error);
      else resolve();
    };
  });
  registered.catch(() => {}); // awaited below; a failure before then must not go unhandled
  const socket = await connectWs<Record<string, unknown>>(adapter.url(base, id), {
    retain: false,
    timeoutMs,
    onMessage,
  });
  const send = (message: unknown) => {
    counts.sent++;
    socket.sendRaw(JSON.stringify(message));
  };
  peer = {
    id,
    counts,
    get peersAtRegistration() {
      return peersAtRegistration;
    },
    onRelay: () => {},
    onError: () => {},
    relay: (to, data) => send(adapter.relay(id, to, data)),
    listPeers() {
      if (adapter.listPeers === undefined) return undefined;
      return new Promise((resolve) => {
        listWaiters.push(resolve);
        send(adapter.listPeers);
      });
    },
    async close() {
      if (socket.closeCode !== undefined) return;
      socket.close(1000, "bench done");
      await socket.closed().catch(() => {});
    },
  };
  for (const message of adapter.hello(id)) send(message);
  try {
    await registered;
  } catch (error) {
    socket.close(1000, "bench failed");
    throw error;
  }
  return peer;
}

/** A relay payload of about `bytes` bytes once serialized, carrying a send time and a sequence number. */
export function payload(bytes: number, seq: number, sentAt: number): RelayData {
  return { t: sentAt, s: seq, p: "x".repeat(Math.max(0, bytes - 40)) };
}
