/**
 * The relay hot path in isolation, in this process: what the room does per relayed message (parse, validate,
 * rate-check, route, stringify) against what the control does (parse, route, stringify). Alternating rounds
 * on one core keep the ratio steady where whole-server figures are noisy.
 */
import { DEFAULT_LIMITS } from "../src/limits.js";
import { parseClientMessage } from "../src/protocol.js";
import { TokenBucket } from "../src/rate-limit.js";
import { Revision } from "../src/revision.js";
import { Room } from "../src/room.js";
import { payload } from "./adapters.js";

export interface HotPathResult {
  bytes: number;
  oursNsPerRelay: number;
  controlNsPerRelay: number;
  ratio: number;
}

export function hotPath(bytes: number, rounds = 7, perRound = 20_000): HotPathResult {
  const frame = JSON.stringify({ type: "relay", to: "bob", data: payload(bytes, 1, 1) });
  const limits = { ...DEFAULT_LIMITS, ratePerSecond: 1e9, rateBurst: 1e9 };
  const room = new Room<string>(limits, new Revision({ load: () => 0, save: () => {} }));
  room.handle("a", { type: "register", peer_id: "alice" });
  room.handle("b", { type: "register", peer_id: "bob" });
  const bucket = new TokenBucket(limits, 0);
  const controlPeers = new Map([["bob", "b"]]);
  let sink = 0;

  const ours = () => {
    for (let i = 0; i < perRound; i++) {
      bucket.take(i);
      const parsed = parseClientMessage(frame, limits.maxMessageBytes);
      if (!parsed.ok) throw new Error(parsed.error.error);
      for (const out of room.handle("a", parsed.message)) sink += JSON.stringify(out.message).length;
    }
  };
  const control = () => {
    for (let i = 0; i < perRound; i++) {
      const msg = JSON.parse(frame);
      if (controlPeers.get(msg.to)) sink += JSON.stringify({ type: "relay", from: "alice", data: msg.data }).length;
    }
  };
  const time = (fn: () => void) => {
    const started = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - started) / perRound;
  };
  ours();
  control();
  const [a, b]: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    a.push(time(ours));
    b.push(time(control));
  }
  if (sink === 0) throw new Error("nothing was relayed");
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  const [oursNs, controlNs] = [median(a), median(b)];
  return {
    bytes,
    oursNsPerRelay: Math.round(oursNs),
    controlNsPerRelay: Math.round(controlNs),
    ratio: Math.round((oursNs / controlNs) * 100) / 100,
  };
}
