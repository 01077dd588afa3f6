/**
 * A disconnect storm with exact accounting, for the storm test and `npm run soak`. Steady peers never drop and
 * send sequenced relays to random peers; flaky peers drop abruptly (no Close frame) at random, come back after a
 * jittered delay (some past the grace period) and resume with their token, or register afresh once the id is
 * free. Every relay a steady peer sends must end exactly one way: delivered once, in order per sender and
 * target; answered with an error carrying its request_id; or counted in an `undeliverable` for its target.
 */
import type { ServerMessage } from "../src/core/wire/protocol.js";
import type { TestSocket } from "./test-socket.js";
import { connectWs } from "./ws-node.js";

export interface StormOptions {
  /** ws://host:port/rooms/<room> */
  roomUrl: string;
  steady: number;
  flaky: number;
  /** How long the storm runs; then senders stop and everything settles. */
  durationMs: number;
  /** Relays each steady peer sends per second. */
  ratePerPeer: number;
  /** The server's grace period; flaky peers stay away for up to twice it. */
  graceMs: number;
  /** Called every few seconds with a line of progress. */
  progress?: (line: string) => void;
  random?: () => number;
}

export interface StormReport {
  sent: number;
  delivered: number;
  refused: Record<string, number>;
  undeliverable: number;
  /** Relays with no outcome at all: must be 0. */
  lost: number;
  /** Relays delivered more than once: must be 0. */
  duplicated: number;
  /** Deliveries out of order for their sender and target: must be 0. */
  reordered: number;
  drops: number;
  resumes: number;
  expiredReturns: number;
}

interface Peer {
  id: string;
  socket: TestSocket;
  token: string;
  /** The `seq` of the last relay this connection received, reported when resuming. */
  lastSeq: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runStorm(options: StormOptions): Promise<StormReport> {
  const random = options.random ?? Math.random;
  const report: StormReport = {
    sent: 0,
    delivered: 0,
    refused: {},
    undeliverable: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    drops: 0,
    resumes: 0,
    expiredReturns: 0,
  };
  /** Outcomes by relay id (`sender:seq`), and per sender and target the ids sent and the undeliverable count. */
  const outcome = new Map<string, "sent" | "delivered" | "refused">();
  const sentTo = new Map<string, string[]>();
  const undeliverable = new Map<string, number>();
  const lastSeq = new Map<string, number>();

  const onMessage = (self: string, peer: () => Peer | undefined) => (message: ServerMessage) => {
    if (message.type === "relay") {
      const current = peer();
      if (current && message.seq !== undefined) current.lastSeq = message.seq;
      const { id, seq } = message.data as { id: string; seq: number };
      if (outcome.get(id) === "delivered") report.duplicated++;
      outcome.set(id, "delivered");
      const pair = `${message.from}>${self}`;
      if ((lastSeq.get(pair) ?? -1) >= seq) report.reordered++;
      lastSeq.set(pair, seq);
    } else if (message.type === "error" && message.code === "undeliverable" && message.to) {
      const pair = `${self}>${message.to}`;
      undeliverable.set(pair, (undeliverable.get(pair) ?? 0) + (message.count ?? 0));
    } else if (message.type === "error" && message.request_id) {
      if (outcome.get(message.request_id) === "sent") outcome.set(message.request_id, "refused");
      report.refused[message.code] = (report.refused[message.code] ?? 0) + 1;
    }
  };

  async function join(id: string, previous?: Peer): Promise<Peer & { resumed: boolean }> {
    // Made before the socket, so that relays arriving in the same tick as `registered` are counted.
    const peer = { id, token: "", resumed: false, lastSeq: 0 } as Peer & { resumed: boolean };
    peer.socket = await connectWs(options.roomUrl, { onMessage: onMessage(id, () => peer) });
    const resume = previous ? { resume_token: previous.token, last_seq: previous.lastSeq } : {};
    peer.socket.send({ type: "register", peer_id: id, ...resume });
    const answer = await peer.socket.next(10_000);
    if (answer.type !== "registered") throw new Error(`${id} could not register: ${JSON.stringify(answer)}`);
    peer.token = answer.resume_token;
    peer.resumed = answer.resumed === true;
    return peer;
  }

  const steady = await Promise.all(Array.from({ length: options.steady }, (_, i) => join(`steady-${i}`)));
  const flaky: Peer[] = await Promise.all(Array.from({ length: options.flaky }, (_, i) => join(`flaky-${i}`)));
  const everyone = [...steady.map((p) => p.id), ...flaky.map((p) => p.id)];
  let running = true;

  const sender = async (peer: Peer) => {
    let seq = 0;
    const gap = 1000 / options.ratePerPeer;
    while (running) {
      let to = everyone[Math.floor(random() * everyone.length)] as string;
      if (to === peer.id) to = everyone[(everyone.indexOf(to) + 1) % everyone.length] as string;
      const id = `${peer.id}:${seq}`;
      outcome.set(id, "sent");
      const pair = `${peer.id}>${to}`;
      const list = sentTo.get(pair) ?? [];
      list.push(id);
      sentTo.set(pair, list);
      peer.socket.send({ type: "relay", to, data: { id, seq }, request_id: id });
      report.sent++;
      seq++;
      await sleep(gap * (0.5 + random()));
    }
  };

  const churner = async (index: number) => {
    while (running) {
      await sleep(500 + random() * 3_000);
      if (!running) break;
      const peer = flaky[index] as Peer;
      peer.socket.drop();
      report.drops++;
      await sleep(random() * options.graceMs * 2);
      const back = await join(peer.id, peer).catch(async () => {
        // The id is still held by the old socket's reservation while its close is on the way: try again.
        await sleep(200);
        return join(peer.id, peer);
      });
      if (back.resumed) report.resumes++;
      else report.expiredReturns++;
      flaky[index] = back;
    }
  };

  const started = Date.now();
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    options.progress?.(
      `${seconds}s: ${report.sent} relays sent, ${report.drops} drops, ${report.resumes} resumes, ${report.expiredReturns} returns after expiry`,
    );
  }, 5_000);
  const work = [...steady.map(sender), ...flaky.map((_, i) => churner(i))];
  await sleep(options.durationMs);
  running = false;
  await Promise.all(work);
  clearInterval(ticker);
  // Flaky peers that are away come back (or their reservations end), and every outcome arrives.
  await sleep(options.graceMs * 2 + 2_000);

  for (const [pair, ids] of sentTo) {
    const told = undeliverable.get(pair) ?? 0;
    const open = ids.filter((id) => outcome.get(id) === "sent").length;
    report.undeliverable += Math.min(told, open);
    report.lost += Math.max(0, open - told);
  }
  for (const state of outcome.values()) if (state === "delivered") report.delivered++;
  for (const peer of [...steady, ...flaky]) peer.socket.close(1000, "storm over");
  return report;
}
