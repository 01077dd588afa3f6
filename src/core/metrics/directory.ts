/**
 * The directory: where every room's reports meet, so that one scrape sees the whole deployment without waking a
 * room. Each source (one room object, or one Worker isolate's refusals) sends its gauges as they are and its
 * counters since its last report; the directory keeps a row per live room (gauges and counts so far) and, when a
 * room empties, folds its counts into the deployment's totals and drops its row, so rows track live rooms only.
 * What the admin page charts (the last minutes, recent refusals and errors) is kept in memory: a live view.
 */
import { COUNTERS, escapeLabel, series } from "./meter.js";

export interface Gauges {
  connections: number;
  peers: number;
}

export interface MetricsReport {
  /** Who reports: the object's binding and id, or `worker:<isolate>`. */
  source: string;
  /** seed, peerjs, y-webrtc, webtorrent, lobby. */
  endpoint: string;
  /** The room, namespace or key; "" for a Worker isolate. */
  name: string;
  /** What the room holds now; absent for a Worker isolate, which holds nothing. */
  gauges?: Gauges;
  /** Counted since the source's last report, by series without the endpoint label. */
  counters: Record<string, number>;
  at: number;
  /** What made the source report: something happening, or the wake-up a burst's last change waited for. */
  trigger?: "event" | "alarm";
}

export interface SourceRow extends Gauges {
  source: string;
  endpoint: string;
  name: string;
  /** By series with the endpoint label, since the room was first reported. */
  counters: Record<string, number>;
  updated: number;
}

export interface DirectoryStore {
  load(): { sources: SourceRow[]; totals: Record<string, number> };
  saveSource(row: SourceRow): void;
  deleteSource(source: string): void;
  saveTotals(totals: Record<string, number>): void;
}

/** One point of the admin page's chart. */
export interface Sample {
  at: number;
  messagesPerSecond: number;
  connections: number;
}

/** A refusal or an error, as the admin page lists the recent ones. */
export interface Incident {
  at: number;
  endpoint: string;
  room: string;
  metric: string;
  label: string;
  count: number;
}

export interface RoomView extends Gauges {
  endpoint: string;
  room: string;
  messagesPerSecond: number;
  updated: number;
}

export interface Overview {
  /** The busiest `MAX_ROOMS_SHOWN` rooms. */
  rooms: RoomView[];
  /** How many rooms report, shown or not. */
  roomCount: number;
  /** Across every room, shown or not. */
  totals: { connections: number; peers: number; rooms: number; messagesPerSecond: number };
  history: Sample[];
  recent: Incident[];
  metrics: string;
}

/** The chart's step and reach: one point per 5 s over the last 15 minutes. */
export const SAMPLE_MS = 5_000;
export const HISTORY_POINTS = 180;
/**
 * A room's rate is its messages over the time since its last report, that time taken as at most this long: a room
 * reports at most every 9 s while busy, and a first report after an idle hour counts a burst, not an hour.
 * Shown as 0 once the room has not reported for this long.
 */
const RATE_WINDOW_MS = 10_000;
const RECENT_INCIDENTS = 100;
/** Rooms the admin page lists, busiest first: its answer stays small however many rooms there are. */
export const MAX_ROOMS_SHOWN = 200;

const HELP: Record<string, [type: "gauge" | "counter", help: string]> = {
  signal_connections: ["gauge", "Open WebSocket connections."],
  signal_peers: ["gauge", "Registered peers (subscribers, announced peers) across rooms."],
  signal_rooms: ["gauge", "Rooms (namespaces, keys) holding at least one connection."],
  [COUNTERS.received]: ["counter", "WebSocket messages received from clients."],
  [COUNTERS.sent]: ["counter", "WebSocket messages sent to clients."],
  [COUNTERS.relays]: ["counter", "Relays by outcome: delivered, kept for a resume, undeliverable."],
  [COUNTERS.errors]: ["counter", "Error frames sent to clients, by code."],
  [COUNTERS.refusals]: ["counter", "Connections and frames refused, by reason: rate, caps, origin, token, address."],
  [COUNTERS.webhooks]: ["counter", "Webhook delivery attempts by outcome: delivered, failed, dropped."],
  signal_metrics_reports_total: [
    "counter",
    "Reports rooms sent to the directory by trigger (each a Durable Object request and a row written on Cloudflare); since the directory started.",
  ],
};

export class Directory {
  readonly #sources = new Map<string, SourceRow & { rate: number }>();
  #totals: Record<string, number>;
  readonly #history: Sample[] = [];
  readonly #recent: Incident[] = [];
  /** Reports taken in since this instance started, by trigger: what metrics themselves cost (kept in memory). */
  readonly #reports = new Map<string, number>();

  constructor(private readonly store: DirectoryStore) {
    const { sources, totals } = store.load();
    for (const row of sources) this.#sources.set(row.source, { ...row, rate: 0 });
    this.#totals = totals;
  }

  report(report: MetricsReport): void {
    const { source, endpoint, name, gauges, at } = report;
    const counters = withEndpoint(report.counters, endpoint);
    const trigger = series("signal_metrics_reports_total", { trigger: report.trigger ?? "event" });
    this.#reports.set(trigger, (this.#reports.get(trigger) ?? 0) + 1);
    this.#note(report, at);
    if (gauges === undefined) {
      this.#totals = add(this.#totals, counters);
      this.store.saveTotals(this.#totals);
      return;
    }
    const previous = this.#sources.get(source);
    const received = counters[series(COUNTERS.received, { endpoint })] ?? 0;
    const seconds = previous ? Math.min(at - previous.updated, RATE_WINDOW_MS) / 1000 : 0;
    const row = {
      source,
      endpoint,
      name: name || previous?.name || "",
      ...gauges,
      counters: add(previous?.counters ?? {}, counters),
      updated: at,
    };
    if (gauges.connections === 0 && gauges.peers === 0) {
      // The room emptied: its counts join the totals and its row goes.
      this.#sources.delete(source);
      this.#totals = add(this.#totals, row.counters);
      if (previous) this.store.deleteSource(source);
      this.store.saveTotals(this.#totals);
    } else {
      this.#sources.set(source, { ...row, rate: seconds > 0 ? received / seconds : 0 });
      this.store.saveSource(row);
    }
    this.#sample(at, received);
  }

  /** The Prometheus text format (version 0.0.4), every `endpoints` entry with its gauges even at 0. */
  render(endpoints: readonly string[]): string {
    const values = new Map<string, number>();
    const put = (key: string, value: number) => values.set(key, (values.get(key) ?? 0) + value);
    for (const endpoint of endpoints) {
      for (const name of ["signal_connections", "signal_peers", "signal_rooms", COUNTERS.received, COUNTERS.sent]) {
        put(series(name, { endpoint }), 0);
      }
    }
    for (const row of this.#sources.values()) {
      put(series("signal_connections", { endpoint: row.endpoint }), row.connections);
      put(series("signal_peers", { endpoint: row.endpoint }), row.peers);
      if (row.connections > 0) put(series("signal_rooms", { endpoint: row.endpoint }), 1);
      for (const [key, value] of Object.entries(row.counters)) put(key, value);
    }
    for (const [key, value] of Object.entries(this.#totals)) put(key, value);
    for (const [key, value] of this.#reports) put(key, value);
    const byMetric = new Map<string, string[]>();
    for (const key of [...values.keys()].sort()) {
      const metric = key.split("{", 1)[0] ?? key;
      let lines = byMetric.get(metric);
      if (!lines) {
        lines = [];
        byMetric.set(metric, lines);
      }
      lines.push(`${key} ${values.get(key)}`);
    }
    const out: string[] = [];
    for (const metric of Object.keys(HELP)) {
      const [type, help] = HELP[metric] as [string, string];
      out.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} ${type}`, ...(byMetric.get(metric) ?? []));
    }
    return `${out.join("\n")}\n`;
  }

  /**
   * What the admin page shows at `now`: rooms, busiest first; the chart's points, one per step over the last
   * minutes (steps with no report had no messages, and as many connections as the step before); recent refusals
   * and errors, newest first.
   */
  overview(endpoints: readonly string[], now: number): Overview {
    const rooms = [...this.#sources.values()]
      .map(({ endpoint, name, connections, peers, rate, updated }) => ({
        endpoint,
        room: name,
        connections,
        peers,
        messagesPerSecond: now - updated > RATE_WINDOW_MS ? 0 : Math.round(rate * 10) / 10,
        updated,
      }))
      .sort((a, b) => b.connections - a.connections || b.messagesPerSecond - a.messagesPerSecond);
    const recent = [...this.#recent].reverse();
    const totals = { connections: 0, peers: 0, rooms: 0, messagesPerSecond: 0 };
    for (const room of rooms) {
      totals.connections += room.connections;
      totals.peers += room.peers;
      totals.rooms += room.connections > 0 ? 1 : 0;
      totals.messagesPerSecond += room.messagesPerSecond;
    }
    totals.messagesPerSecond = Math.round(totals.messagesPerSecond * 10) / 10;
    const shown = rooms.slice(0, MAX_ROOMS_SHOWN);
    const history = this.#filled(now);
    return { rooms: shown, roomCount: rooms.length, totals, history, recent, metrics: this.render(endpoints) };
  }

  #filled(now: number): Sample[] {
    const last = Math.floor(now / SAMPLE_MS) * SAMPLE_MS;
    const first = last - (HISTORY_POINTS - 1) * SAMPLE_MS;
    const byStep = new Map(this.#history.map((s) => [s.at, s]));
    // Before the directory's first report (it started, or was evicted), nothing is known: drawn as none.
    let connections = this.#history.filter((s) => s.at < first).at(-1)?.connections ?? 0;
    const points: Sample[] = [];
    for (let at = first; at <= last; at += SAMPLE_MS) {
      const sample = byStep.get(at);
      if (sample) connections = sample.connections;
      points.push({ at, messagesPerSecond: sample?.messagesPerSecond ?? 0, connections });
    }
    return points;
  }

  #sample(at: number, received: number): void {
    const bucket = Math.floor(at / SAMPLE_MS) * SAMPLE_MS;
    let connections = 0;
    for (const row of this.#sources.values()) connections += row.connections;
    const last = this.#history[this.#history.length - 1];
    if (last && last.at === bucket) {
      last.messagesPerSecond += received / (SAMPLE_MS / 1000);
      last.connections = connections;
      return;
    }
    this.#history.push({ at: bucket, messagesPerSecond: received / (SAMPLE_MS / 1000), connections });
    if (this.#history.length > HISTORY_POINTS) this.#history.shift();
  }

  #note({ endpoint, name, counters }: MetricsReport, at: number): void {
    for (const [key, count] of Object.entries(counters)) {
      const [metric, labels = ""] = key.split("{", 2);
      if (metric !== COUNTERS.errors && metric !== COUNTERS.refusals) continue;
      const label = labels.replace(/^[a-z_]+="/, "").replace(/"}$/, "");
      this.#recent.push({ at, endpoint, room: name, metric: metric ?? key, label, count });
      if (this.#recent.length > RECENT_INCIDENTS) this.#recent.shift();
    }
  }
}

/** The same counts under series that carry `endpoint` as their first label. */
export function withEndpoint(counters: Record<string, number>, endpoint: string): Record<string, number> {
  const label = `endpoint="${escapeLabel(endpoint)}"`;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(counters)) {
    if (!Number.isFinite(value) || value <= 0) continue;
    const brace = key.indexOf("{");
    out[brace < 0 ? `${key}{${label}}` : `${key.slice(0, brace + 1)}${label},${key.slice(brace + 1)}`] = value;
  }
  return out;
}

function add(into: Record<string, number>, more: Record<string, number>): Record<string, number> {
  const out = { ...into };
  for (const [key, value] of Object.entries(more)) out[key] = (out[key] ?? 0) + value;
  return out;
}
