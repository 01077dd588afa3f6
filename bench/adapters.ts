/**
 * One small adapter per protocol, so every scenario is written once: connect and register (or the protocol's
 * equivalent), relay to a peer id, receive relays and errors, list peers where the protocol can.
 */
import WebSocket from "ws";
import type { Protocol } from "./servers.js";

export type RelayData = Record<string, unknown>;

export interface BenchPeer {
  readonly id: string;
  relay(to: string, data: RelayData): void;
  /** The other peers' ids, or undefined where the protocol has no such request. */
  listPeers(): Promise<string[]> | undefined;
  onRelay: (from: string, data: RelayData) => void;
  onError: (code: string) => void;
  close(): Promise<void>;
  /** Messages this peer sent and received, for the cost model. */
  readonly counts: { sent: number; received: number };
}

export async function connectPeer(protocol: Protocol, url: string, id: string, timeoutMs = 15_000): Promise<BenchPeer> {
  const target =
    protocol === "peerjs"
      ? `${url}?key=peerjs&id=${encodeURIComponent(id)}&token=${Math.random().toString(36).slice(2)}`
      : url;
  const ws = new WebSocket(target, { perMessageDeflate: false });
  const counts = { sent: 0, received: 0 };
  const send = (message: unknown) => {
    counts.sent++;
    ws.send(JSON.stringify(message));
  };
  const listWaiters: Array<(peers: string[]) => void> = [];
  let registered: (() => void) | undefined;
  let failed: ((error: Error) => void) | undefined;

  const peer: BenchPeer = {
    id,
    counts,
    onRelay: () => {},
    onError: () => {},
    relay(to, data) {
      if (protocol === "seed") send({ type: "relay", to, data });
      else if (protocol === "peerjs") send({ type: "OFFER", dst: to, payload: data });
      else send({ type: "publish", topic: to, from: id, data });
    },
    listPeers() {
      if (protocol !== "seed") return undefined;
      return new Promise((resolve) => {
        listWaiters.push(resolve);
        send({ type: "list_peers" });
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", () => resolve());
        ws.close(1000);
      }),
  };

  ws.on("message", (raw) => {
    counts.received++;
    const msg = JSON.parse(String(raw));
    switch (protocol === "seed" ? msg.type : `${protocol}:${msg.type}`) {
      case "registered":
      case "peerjs:OPEN":
      case "y-webrtc:pong":
        registered?.();
        break;
      case "relay":
        peer.onRelay(msg.from, msg.data);
        break;
      case "peerjs:OFFER":
        peer.onRelay(msg.src, msg.payload);
        break;
      case "y-webrtc:publish":
        peer.onRelay(msg.from, msg.data);
        break;
      case "peers":
        listWaiters.shift()?.(msg.peers);
        break;
      case "error":
        if (failed) failed(new Error(`${id}: ${msg.code}: ${msg.error}`));
        else peer.onError(msg.code);
        break;
      case "peerjs:ERROR":
      case "peerjs:ID-TAKEN":
        if (failed) failed(new Error(`${id}: ${msg.type}: ${msg.payload?.msg}`));
        else peer.onError(msg.type);
        break;
    }
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id}: not registered within ${timeoutMs} ms`)), timeoutMs);
    registered = () => {
      clearTimeout(timer);
      registered = undefined;
      failed = undefined;
      resolve();
    };
    failed = (error) => {
      clearTimeout(timer);
      failed = undefined;
      reject(error);
    };
    ws.once("error", (error) => failed?.(error));
    ws.once("open", () => {
      if (protocol === "seed") send({ type: "register", peer_id: id });
      else if (protocol === "y-webrtc") {
        // No acknowledgement of subscribe: a ping behind it answers once the subscription is in place.
        send({ type: "subscribe", topics: [id] });
        send({ type: "ping" });
      }
      // PeerJS registers from the URL and answers OPEN by itself.
    });
  });
  ws.on("error", () => peer.onError("socket_error"));
  return peer;
}

/** A relay payload of about `bytes` bytes once serialized, carrying a send time and a sequence number. */
export function payload(bytes: number, seq: number, sentAt: number): RelayData {
  return { t: sentAt, s: seq, p: "x".repeat(Math.max(0, bytes - 40)) };
}
