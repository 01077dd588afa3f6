/**
 * The connection path in isolation, in this process, like hot-path.ts for relays: what the project's front and room
 * do for one connection that opens, registers in a room already holding `peers` others and closes (admission, the
 * attachment at accept, the register's checks, its answer with the room's peer list, presence, the saves), against
 * what the control does (parse, a Map, stringify an answer without a list). Alternating rounds, medians.
 */
import { DEFAULT_LIMITS } from "../src/core/config/limits.js";
import { inProcessRoom } from "./in-process-room.js";
import { sideBySide } from "./stats.js";

export interface AcceptPathResult {
  peers: number;
  oursNsPerConnection: number;
  controlNsPerConnection: number;
  ratio: number;
}

export function acceptPath(peers: number, { rounds = 7, perRound = 400 } = {}): AcceptPathResult {
  const sent = { chars: 0 };
  let saved = 0;
  const front = inProcessRoom<{ id: number }>(
    { ...DEFAULT_LIMITS, maxPeersPerRoom: peers + perRound + 10 },
    sent,
    (attachment) => {
      saved += JSON.stringify(attachment).length;
    },
  );
  let next = 0;
  for (let i = 0; i < peers; i++) {
    const c = { id: next++ };
    front.admit("10.0.0.1");
    front.open(c, { address: "10.0.0.1" });
    front.message(c, `{"type":"register","peer_id":"resident-${i}"}`);
  }
  const control = new Map<string, number>();
  for (let i = 0; i < peers; i++) control.set(`resident-${i}`, i);

  const ours = () => {
    const opened: Array<{ id: number }> = [];
    for (let i = 0; i < perRound; i++) {
      const c = { id: next++ };
      front.admit("10.0.0.2");
      front.open(c, { address: "10.0.0.2" });
      front.message(c, `{"type":"register","peer_id":"visitor-${c.id}"}`);
      opened.push(c);
    }
    for (const c of opened) front.closed(c, 1000);
  };
  const theirs = () => {
    const ids: string[] = [];
    for (let i = 0; i < perRound; i++) {
      const msg = JSON.parse(`{"type":"register","peer_id":"visitor-${next++}"}`);
      control.set(msg.peer_id, i);
      sent.chars += JSON.stringify(msg.peer_id).length;
      sent.chars += JSON.stringify({ type: "registered", peer_id: msg.peer_id }).length;
      ids.push(msg.peer_id);
    }
    for (const id of ids) control.delete(id);
  };
  const { oursNs, controlNs } = sideBySide(ours, theirs, rounds, perRound);
  if (sent.chars === 0 || saved === 0) throw new Error("nothing was answered");
  return {
    peers,
    oursNsPerConnection: Math.round(oursNs),
    controlNsPerConnection: Math.round(controlNs),
    ratio: Math.round((oursNs / controlNs) * 100) / 100,
  };
}

if (process.argv[1]?.endsWith("accept-path.ts")) {
  for (const peers of [0, 100, 500, 1000]) console.log(JSON.stringify(acceptPath(peers)));
}
