/**
 * The relay hot path in isolation, in this process: the project's own front and room (rate check, decode, room,
 * encode, byte budgets, numbering, send) over a transport that only counts, against what the control does (parse, route, stringify). Alternating
 * rounds on one core keep the ratio steady where whole-server figures are noisy.
 */

import { DEFAULT_LIMITS } from "../src/core/config/limits.js";
import { inProcessRoom } from "./in-process-room.js";
import { payload } from "./protocols/seed.js";
import { sideBySide } from "./stats.js";

export interface HotPathResult {
  bytes: number;
  /** Relays numbered as the SDK sends them (`seq`, `request_id`), acked once per 16. */
  numbered?: boolean;
  oursNsPerRelay: number;
  controlNsPerRelay: number;
  ratio: number;
}

export function hotPath(bytes: number, { numbered = false, rounds = 7, perRound = 20_000 } = {}): HotPathResult {
  const data = JSON.stringify(payload(bytes, 1, 1));
  // Both sides build each frame the same way: numbered ones differ relay by relay, as an SDK client's do.
  let seq = 0;
  const plain = `{"type":"relay","to":"bob","data":${data}}`;
  const nextFrame = numbered
    ? () => {
        seq++;
        return `{"type":"relay","to":"bob","seq":${seq},"request_id":"relay-${seq}","data":${data}}`;
      }
    : () => plain;
  const sent = { chars: 0 };
  // Raised like the rate: this loop relays far faster than any client reads.
  const front = inProcessRoom<{ name: string }>(
    {
      ...DEFAULT_LIMITS,
      ratePerSecond: 1e9,
      rateBurst: 1e9,
      byteRatePerSecond: 1e12,
      byteRateBurst: 1e12,
      outboundBytesPerSecond: 1e12,
      outboundBurstBytes: 1e12,
    },
    sent,
  );
  const [alice, bob] = [{ name: "alice" }, { name: "bob" }];
  front.open(alice);
  front.open(bob);
  front.message(alice, JSON.stringify({ type: "register", peer_id: "alice" }));
  front.message(bob, JSON.stringify({ type: "register", peer_id: "bob" }));
  const controlPeers = new Map([["bob", "b"]]);

  const ours = () => {
    for (let i = 0; i < perRound; i++) front.message(alice, nextFrame());
  };
  const control = () => {
    for (let i = 0; i < perRound; i++) {
      const msg = JSON.parse(nextFrame());
      if (controlPeers.get(msg.to))
        sent.chars += JSON.stringify({ type: "relay", from: "alice", data: msg.data }).length;
    }
  };
  const { oursNs, controlNs } = sideBySide(ours, control, rounds, perRound);
  if (sent.chars === 0) throw new Error("nothing was relayed");
  return {
    bytes,
    ...(numbered ? { numbered } : {}),
    oursNsPerRelay: Math.round(oursNs),
    controlNsPerRelay: Math.round(controlNs),
    ratio: Math.round((oursNs / controlNs) * 100) / 100,
  };
}
