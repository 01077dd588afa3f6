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
  /**
   * Relays of `payload(bytes, ...)` to `to` from one frame built once, the send time and number spliced in: the
   * load generator's cost per relay, which otherwise caps what S4 can offer, falls to a string join. Undefined where
   * the protocol's frame does not carry the payload as plain JSON (it is then built per relay, with `relay`).
   */
  fastRelay(to: string, bytes: number): ((seq: number, sentAt: number) => void) | undefined;
  /**
   * When set, a relay whose frame starts as one already read did (same sender, same shape) is not parsed: only its
   * send time `t` is read from the text and handed here, in place of `onRelay`.
   */
  onRelayTime: ((sentAt: number) => void) | undefined;
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

/** The marker a fast relay's frame is split at, standing for a number (see `fastRelay`). */
const MARK = (name: string) => `\u0001${name}\u0001`;
const READ = Symbol("read from the text");
const TIME_KEY = '"t":';

export async function openPeer(adapter: ProtocolAdapter, base: string, id: string, timeoutMs = 15_000) {
  const counts = { sent: 0, received: 0 };
  // What a relay's frame holds before its send time, per sender, learned from relays parsed in full.
  const relayHeads = new Set<string>();
  const readTime = (text: string): boolean => {
    const at = text.indexOf(TIME_KEY);
    if (at < 0 || !relayHeads.has(text.slice(0, at))) return false;
    const sentAt = Number.parseFloat(text.slice(at + TIME_KEY.length, at + TIME_KEY.length + 24));
    if (Number.isNaN(sentAt)) return false;
    peer?.onRelayTime?.(sentAt);
    return true;
  };
  const listWaiters: Array<(peers: string[]) => void> = [];
  let settle: ((error?: Error) => void) | undefined;
  let peer: BenchPeer | undefined;
  let peersAtRegistration: string[] | undefined;
  // Listening from the first frame: PeerJS's OPEN can come in the same tick as the socket opens.
  const decode = (text: string): Record<string, unknown> | typeof READ => {
    counts.received++;
    if (peer?.onRelayTime !== undefined && readTime(text)) return READ;
    const message = JSON.parse(text) as Record<string, unknown>;
    if (peer?.onRelayTime !== undefined && relayHeads.size < 64 && adapter.read(message)?.kind === "relay") {
      const at = text.indexOf(TIME_KEY);
      if (at >= 0) relayHeads.add(text.slice(0, at));
    }
    return message;
  };
  const onMessage = (message: Record<string, unknown> | typeof READ) => {
    if (message === READ) return;
    const reading = adapter.read(message);
    if (reading?.kind === "registered") {
      peersAtRegistration = reading.peers;
      settle?.();
    } else if (reading?.kind === "relay") {
      if (peer?.onRelayTime !== undefined && typeof reading.data.t === "number") peer.onRelayTime(reading.data.t);
      else peer?.onRelay(reading.from, reading.data);
    } else if (reading?.kind === "peers") listWaiters.shift()?.(reading.peers);
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
  const socket = await connectWs<Record<string, unknown> | typeof READ>(adapter.url(base, id), {
    retain: false,
    timeoutMs,
    decode,
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
    onRelayTime: undefined,
    onError: () => {},
    relay: (to, data) => send(adapter.relay(id, to, data)),
    fastRelay(to, bytes) {
      const frame = relayFrame(adapter, id, to, bytes);
      if (frame === undefined) return undefined;
      return (seq, sentAt) => {
        counts.sent++;
        socket.sendRaw(frame(seq, sentAt));
      };
    },
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

/**
 * The frame of a relay of `payload(bytes, seq, sentAt)` from `from` to `to`, built once and the two numbers spliced
 * in; undefined where the protocol does not carry the payload as plain JSON.
 */
export function relayFrame(adapter: ProtocolAdapter, from: string, to: string, bytes: number) {
  const frame = JSON.stringify(adapter.relay(from, to, { ...payload(bytes, 0, 0), t: MARK("t"), s: MARK("s") }));
  const [head, middle, tail, ...rest] = frame.split(/"\\u0001[ts]\\u0001"/);
  if (head === undefined || middle === undefined || tail === undefined || rest.length > 0) return undefined;
  // The payload as plain JSON, its send time first: not escaped inside a string, as some protocols carry it.
  if (!head.endsWith(TIME_KEY)) return undefined;
  return (seq: number, sentAt: number) => head + sentAt + middle + seq + tail;
}

/** A relay payload of about `bytes` bytes once serialized, carrying a send time and a sequence number. */
export function payload(bytes: number, seq: number, sentAt: number): RelayData {
  return { t: sentAt, s: seq, p: "x".repeat(Math.max(0, bytes - 40)) };
}
