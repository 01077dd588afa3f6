/**
 * A disconnect storm with exact accounting, for the storm test and `npm run soak`. Steady peers send relays to
 * random peers, numbered and kept until the server acknowledges them, sent again after a resume, as the SDK does;
 * flaky peers drop abruptly (no Close frame) at random, come back after a jittered delay (some past the grace
 * period) and resume with their token and `last_seq`, or register afresh once the id is free. Any peer whose
 * connection is cut (through a cutting proxy, or by a server restarting) comes back at once. Every relay a steady
 * peer sends must end exactly one way: delivered once, in order per sender and target; answered with an error
 * carrying its request_id; or counted in an `undeliverable` for its target.
 */
import type { ServerMessage } from "../src/core/wire/protocol.js";
import type { TestSocket } from "./test-socket.js";
import { connectWs } from "./ws-node.js";

export interface StormOptions {
  /** ws://host:port/rooms/<room>: the server's, or a cutting proxy's in front of it. */
  roomUrl: string;
  steady: number;
  flaky: number;
  /** How long the storm runs; then senders stop and everything settles. */
  durationMs: number;
  /** Relays each steady peer sends per second. */
  ratePerPeer: number;
  /** The server's grace period; flaky peers stay away for up to twice it. */
  graceMs: number;
  /** Run every `everyMs` while the storm runs (a server restart), the storm going on meanwhile. */
  fault?: { everyMs: number; run: () => Promise<void> };
  /** Called every few seconds with a line of progress; `status` adds to it (a proxy's cuts). */
  progress?: (line: string) => void;
  status?: () => string;
  random?: () => number;
}

export interface StormReport {
  sent: number;
  delivered: number;
  refused: Record<string, number>;
  undeliverable: number;
  /** Relays with no outcome at all: must be 0. */
  lost: number;
  /** The first few of them (`sender:seq>target`), to look into. */
  lostIds: string[];
  /** Relays delivered more than once: must be 0. */
  duplicated: number;
  /** Deliveries out of order for their sender and target: must be 0. */
  reordered: number;
  drops: number;
  resumes: number;
  expiredReturns: number;
  /** Connections that ended without the peer asking (cut, or the server restarting), each come back from. */
  reconnects: number;
  /** Relays sent again after a resume because the server had not acknowledged them. */
  resent: number;
  /** Registrations of steady peers that did not resume (their id was free again): each may lose or repeat. */
  steadyFresh: number;
  faults: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Accounting {
  report: StormReport;
  delivered(self: string, message: Extract<ServerMessage, { type: "relay" }>): void;
  refused(requestId: string, code: string): void;
  undeliverable(self: string, to: string, count: number): void;
}

/** One peer, as the SDK behaves: it numbers its relays, keeps them until acknowledged, and resumes on its own. */
class StormPeer {
  token = "";
  /** The `seq` of the last relay (or answer) this connection was handed, reported when resuming. */
  lastSeq = 0;
  #nextSeq = 0;
  readonly #unacked = new Map<number, Record<string, unknown>>();
  #socket: TestSocket | undefined;
  #generation = 0;
  registered = false;
  /** Dropped on purpose (a flaky peer away): it comes back when it decides, not on its own. */
  away = false;
  stopped = false;
  resumed = false;
  #connecting: Promise<void> | undefined;
  #registeredBefore = false;
  #answer: ((ok: boolean) => void) | undefined;

  constructor(
    readonly id: string,
    readonly steady: boolean,
    private readonly url: string,
    private readonly accounting: Accounting,
    private readonly random: () => number,
  ) {}

  /** Opens and registers, again and again until it is registered (or stopped). */
  connect(): Promise<void> {
    this.#connecting ??= this.#connectLoop().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Numbers a relay to `to`, keeps it until acknowledged, and sends it if connected; returns its id. */
  send(to: string): string {
    const seq = ++this.#nextSeq;
    const id = `${this.id}:${seq}`;
    // In the shape the server reads without parsing the whole frame: type, to, seq, request_id, then data.
    const relay = { type: "relay", to, seq, request_id: id, data: { id, seq } };
    this.#unacked.set(seq, relay);
    this.accounting.report.sent++;
    if (this.registered) this.#socket?.send(relay);
    return id;
  }

  /** Drops the connection without a Close frame, as a network switch would. */
  drop(): void {
    this.away = true;
    this.#socket?.drop();
  }

  close(): void {
    this.stopped = true;
    this.#socket?.close(1000, "storm over");
  }

  async #connectLoop(): Promise<void> {
    for (let attempt = 0; !this.stopped && !this.registered; attempt++) {
      if (attempt > 0) await sleep(Math.min(1_000, 50 * 2 ** attempt) * (0.5 + this.random()));
      const generation = ++this.#generation;
      let socket: TestSocket;
      try {
        socket = await connectWs(this.url, {
          retain: false,
          timeoutMs: 10_000,
          onMessage: (message) => {
            if (generation === this.#generation) this.#onMessage(message);
          },
          onClose: (code) => {
            if (generation === this.#generation) this.#onClose(code);
          },
        });
      } catch {
        continue; // the server is down (a restart): try again shortly
      }
      if (generation !== this.#generation || socket.closeCode !== undefined) continue;
      this.#socket = socket;
      const answered = new Promise<boolean>((resolve) => {
        this.#answer = resolve;
        setTimeout(() => resolve(false), 10_000);
      });
      const resume = this.token ? { resume_token: this.token, last_seq: this.lastSeq } : {};
      socket.send({ type: "register", peer_id: this.id, request_id: "register", ...resume });
      if (await answered) return;
      // Its own earlier socket may still hold the id while its close is on the way: this one goes, and it retries.
      this.#generation++;
      socket.close(1000, "retrying");
    }
  }

  #onMessage(message: ServerMessage): void {
    switch (message.type) {
      case "registered": {
        this.token = message.resume_token;
        this.lastSeq = 0; // the new connection numbers what it is handed afresh
        this.resumed = message.resumed === true;
        this.registered = true;
        const report = this.accounting.report;
        if (this.resumed) report.resumes++;
        else if (this.steady && this.#registeredBefore) report.steadyFresh++;
        this.#registeredBefore = true;
        this.#acked(message.acked ?? 0);
        // What the server does not have (lost in flight, or sent while away) goes again, in order.
        for (const relay of this.#unacked.values()) {
          this.#socket?.send(relay);
          report.resent++;
        }
        this.#answer?.(true);
        return;
      }
      case "ack":
        this.#acked(message.seq);
        return;
      case "relay":
        if (message.seq !== undefined) this.lastSeq = message.seq;
        this.accounting.delivered(this.id, message);
        return;
      case "error":
        if (message.seq !== undefined) this.lastSeq = message.seq;
        if (message.request_id === "register") {
          this.#answer?.(false);
          return;
        }
        if (message.code === "undeliverable" && message.to !== undefined) {
          this.accounting.undeliverable(this.id, message.to, message.count ?? 0);
        } else if (message.request_id) {
          this.#unacked.delete(Number(message.request_id.slice(message.request_id.lastIndexOf(":") + 1)));
          this.accounting.refused(message.request_id, message.code);
        }
        return;
      default:
        return;
    }
  }

  #acked(seq: number): void {
    for (const key of this.#unacked.keys()) {
      if (key > seq) break;
      this.#unacked.delete(key);
    }
  }

  #onClose(code: number): void {
    this.registered = false;
    this.#socket = undefined;
    this.#answer?.(false);
    if (this.away || this.stopped) return;
    this.accounting.report.reconnects++;
    // A server restarting (1012) is back in a moment; a cut comes back at once. Spread, as the SDK spreads them.
    const delay = code === 1012 ? this.random() * 1_000 : 20 + this.random() * 200;
    setTimeout(() => void this.connect(), delay);
  }
}

export async function runStorm(options: StormOptions): Promise<StormReport> {
  const random = options.random ?? Math.random;
  const report: StormReport = {
    sent: 0,
    delivered: 0,
    refused: {},
    undeliverable: 0,
    lost: 0,
    lostIds: [],
    duplicated: 0,
    reordered: 0,
    drops: 0,
    resumes: 0,
    expiredReturns: 0,
    reconnects: 0,
    resent: 0,
    steadyFresh: 0,
    faults: 0,
  };
  /** Outcomes by relay id (`sender:seq`), and per sender and target the ids sent and the undeliverable count. */
  const outcome = new Map<string, "sent" | "delivered" | "refused">();
  const sentTo = new Map<string, string[]>();
  const undeliverable = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  const accounting: Accounting = {
    report,
    delivered(self, message) {
      const { id, seq } = message.data as { id: string; seq: number };
      if (outcome.get(id) === "delivered") {
        report.duplicated++;
        return; // counted once, as a duplicate, not also as out of order
      }
      outcome.set(id, "delivered");
      const pair = `${message.from}>${self}`;
      if ((lastSeq.get(pair) ?? -1) >= seq) report.reordered++;
      lastSeq.set(pair, seq);
    },
    refused(requestId, code) {
      if (outcome.get(requestId) === "sent") outcome.set(requestId, "refused");
      report.refused[code] = (report.refused[code] ?? 0) + 1;
    },
    undeliverable(self, to, count) {
      const pair = `${self}>${to}`;
      undeliverable.set(pair, (undeliverable.get(pair) ?? 0) + count);
    },
  };

  const make = (id: string, steady: boolean) => new StormPeer(id, steady, options.roomUrl, accounting, random);
  const steady = Array.from({ length: options.steady }, (_, i) => make(`steady-${i}`, true));
  const flaky = Array.from({ length: options.flaky }, (_, i) => make(`flaky-${i}`, false));
  const everyone = [...steady, ...flaky];
  await Promise.all(everyone.map((peer) => peer.connect()));
  const ids = everyone.map((p) => p.id);
  let running = true;

  const sender = async (peer: StormPeer) => {
    const gap = 1000 / options.ratePerPeer;
    while (running) {
      let to = ids[Math.floor(random() * ids.length)] as string;
      if (to === peer.id) to = ids[(ids.indexOf(to) + 1) % ids.length] as string;
      const id = peer.send(to);
      outcome.set(id, "sent");
      const pair = `${peer.id}>${to}`;
      const list = sentTo.get(pair) ?? [];
      list.push(id);
      sentTo.set(pair, list);
      await sleep(gap * (0.5 + random()));
    }
  };

  const churner = async (peer: StormPeer) => {
    while (running) {
      await sleep(500 + random() * 3_000);
      if (!running) break;
      peer.drop();
      report.drops++;
      await sleep(random() * options.graceMs * 2);
      peer.away = false;
      await peer.connect();
      if (!peer.resumed) report.expiredReturns++;
    }
  };

  const faults = async () => {
    const fault = options.fault;
    if (!fault) return;
    while (running) {
      await sleep(fault.everyMs);
      if (!running) break;
      await fault.run();
      report.faults++;
    }
  };

  const started = Date.now();
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    const extra = options.status ? `, ${options.status()}` : "";
    options.progress?.(
      `${seconds}s: ${report.sent} relays sent, ${report.drops} drops, ${report.resumes} resumes, ` +
        `${report.expiredReturns} returns after expiry, ${report.reconnects} reconnects, ${report.resent} resent${extra}`,
    );
  }, 5_000);
  const work = [...steady.map(sender), ...flaky.map(churner), faults()];
  await sleep(options.durationMs);
  running = false;
  await Promise.all(work);
  clearInterval(ticker);
  // Everyone away comes back (or their reservations end), what waits is sent again, and every outcome arrives.
  await Promise.all(everyone.map((peer) => peer.connect()));
  await sleep(options.graceMs * 2 + 2_000);

  for (const [pair, sent] of sentTo) {
    const told = undeliverable.get(pair) ?? 0;
    const open = sent.filter((id) => outcome.get(id) === "sent").length;
    report.undeliverable += Math.min(told, open);
    report.lost += Math.max(0, open - told);
    if (open > told && report.lostIds.length < 10) {
      const target = pair.slice(pair.indexOf(">") + 1);
      for (const id of sent.filter((i) => outcome.get(i) === "sent").slice(told))
        report.lostIds.push(`${id}>${target}`);
    }
  }
  for (const state of outcome.values()) if (state === "delivered") report.delivered++;
  for (const peer of everyone) peer.close();
  return report;
}
