import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import {
  Directory,
  type DirectoryStore,
  MAX_ROOMS_SHOWN,
  type MetricsReport,
  type SourceRow,
  withEndpoint,
} from "./directory.js";
import { COUNTERS, Meter, series } from "./meter.js";
import { ReportClock } from "./report-clock.js";

function memoryStore(): DirectoryStore & {
  rows: Map<string, SourceRow>;
  totals: Record<string, number>;
  writes: number;
} {
  const store = {
    rows: new Map<string, SourceRow>(),
    totals: {} as Record<string, number>,
    writes: 0,
    load: () => ({ sources: [...store.rows.values()], totals: { ...store.totals } }),
    saveSource: (row: SourceRow) => {
      store.writes++;
      store.rows.set(row.source, structuredClone(row));
    },
    deleteSource: (source: string) => {
      store.writes++;
      store.rows.delete(source);
    },
    saveTotals: (totals: Record<string, number>) => {
      store.writes++;
      store.totals = { ...totals };
    },
  };
  return store;
}

const ENDPOINTS = ["seed", "y-webrtc", "peerjs", "webtorrent", "lobby"];

function parsed(text: string) {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const family = parsed(text).get(name);
  const metric = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return metric && "value" in metric ? Number(metric.value) : undefined;
}

describe("Meter", () => {
  it("counts by series and starts again from zero at each take", () => {
    const meter = new Meter();
    meter.relaysDelivered += 3;
    meter.error("unknown_peer");
    meter.error("unknown_peer");
    meter.refusal("rate");
    expect(meter.take()).toEqual({
      [series(COUNTERS.relays, { outcome: "delivered" })]: 3,
      [series(COUNTERS.errors, { code: "unknown_peer" })]: 2,
      [series(COUNTERS.refusals, { reason: "rate" })]: 1,
    });
    expect(meter.counted).toBe(false);
    expect(meter.take()).toEqual({});
  });

  it("escapes label values", () => {
    expect(series("m", { room: 'a"b\\c\nd' })).toBe('m{room="a\\"b\\\\c\\nd"}');
  });
});

describe("ReportClock", () => {
  it("reports at once, then at most once per interval, and the last change of a burst by a wake-up", () => {
    const reports: number[] = [];
    const asked: Array<number | undefined> = [];
    let now = 1000;
    const clock = new ReportClock(
      5000,
      () => reports.push(now),
      (at) => asked.push(at),
    );
    clock.changed(now);
    expect(reports).toEqual([1000]);
    now = 2000;
    clock.changed(now);
    now = 3000;
    clock.changed(now);
    expect(reports).toEqual([1000]);
    expect(asked).toEqual([6000]);
    now = 6000;
    clock.woke(now);
    expect(reports).toEqual([1000, 6000]);
    expect(asked).toEqual([6000, undefined]);
    // A busy source reports on its own events and needs no wake-up.
    now = 11_000;
    clock.changed(now);
    expect(reports).toEqual([1000, 6000, 11_000]);
    expect(asked).toEqual([6000, undefined]);
  });

  it("ignores a wake-up that comes early or was for something else", () => {
    const reports: number[] = [];
    const clock = new ReportClock(
      5000,
      () => reports.push(1),
      () => {},
    );
    clock.woke(10);
    clock.changed(0);
    clock.changed(1);
    clock.woke(4000);
    expect(reports).toHaveLength(1);
    clock.woke(5000);
    expect(reports).toHaveLength(2);
  });
});

/** A seed room's report: `connections` open (as many peers unless said), `counters` since its last. */
function seedRoom(
  name: string,
  connections: number,
  counters: Record<string, number>,
  at: number,
  peers = connections,
): MetricsReport {
  return { source: `Peers:${name}`, endpoint: "seed", name, gauges: { connections, peers }, counters, at };
}

describe("Directory", () => {
  it("adds the endpoint label and sums rooms into Prometheus gauges and counters", () => {
    const directory = new Directory(memoryStore());
    const unknown = series(COUNTERS.errors, { code: "unknown_peer" });
    directory.report(seedRoom("a", 2, { [COUNTERS.received]: 10, [unknown]: 1 }, 1000));
    directory.report(seedRoom("b", 3, { [COUNTERS.received]: 5 }, 2000, 1));
    directory.report({
      source: "worker:x",
      endpoint: "y-webrtc",
      name: "",
      counters: { [series(COUNTERS.refusals, { reason: "origin" })]: 4 },
      at: 2500,
    });
    const text = directory.render(ENDPOINTS);
    expect(value(text, "signal_connections", { endpoint: "seed" })).toBe(5);
    expect(value(text, "signal_peers", { endpoint: "seed" })).toBe(3);
    expect(value(text, "signal_rooms", { endpoint: "seed" })).toBe(2);
    expect(value(text, "signal_rooms", { endpoint: "webtorrent" })).toBe(0);
    expect(value(text, COUNTERS.received, { endpoint: "seed" })).toBe(15);
    expect(value(text, COUNTERS.errors, { endpoint: "seed", code: "unknown_peer" })).toBe(1);
    expect(value(text, COUNTERS.refusals, { endpoint: "y-webrtc", reason: "origin" })).toBe(4);
    expect(parsed(text).get("signal_connections")?.type).toBe("GAUGE");
    expect(parsed(text).get(COUNTERS.received)?.type).toBe("COUNTER");
  });

  it("folds an emptied room into the totals, drops its row, and keeps every count through a restart", () => {
    const store = memoryStore();
    const directory = new Directory(store);
    const report = (connections: number, received: number, at: number) =>
      directory.report(seedRoom("a", connections, { [COUNTERS.received]: received }, at));
    report(2, 10, 1000);
    report(0, 3, 7000);
    expect(store.rows.size).toBe(0);
    const text = directory.render(ENDPOINTS);
    expect(value(text, "signal_connections", { endpoint: "seed" })).toBe(0);
    expect(value(text, COUNTERS.received, { endpoint: "seed" })).toBe(13);
    report(1, 4, 9000);
    // A new directory instance (an eviction) reads the same figures back.
    const again = new Directory(store).render(ENDPOINTS);
    expect(value(again, COUNTERS.received, { endpoint: "seed" })).toBe(17);
    expect(value(again, "signal_connections", { endpoint: "seed" })).toBe(1);
  });

  it("writes one row per report of a live room", () => {
    const store = memoryStore();
    const directory = new Directory(store);
    for (let i = 0; i < 5; i++) directory.report(seedRoom("a", 2, { [COUNTERS.received]: 1 }, i * 5000));
    expect(store.writes).toBe(5);
  });

  it("gives the admin page rooms with their rates, a history, and recent refusals and errors", () => {
    const directory = new Directory(memoryStore());
    directory.report(seedRoom("a", 2, {}, 0));
    const rate = series(COUNTERS.refusals, { reason: "rate" });
    directory.report(seedRoom("a", 2, { [COUNTERS.received]: 50, [rate]: 2 }, 5000));
    const view = directory.overview(ENDPOINTS, 6000);
    expect(view.rooms).toEqual([
      { endpoint: "seed", room: "a", connections: 2, peers: 2, messagesPerSecond: 10, updated: 5000 },
    ]);
    expect(view.recent).toEqual([
      { at: 5000, endpoint: "seed", room: "a", metric: COUNTERS.refusals, label: "rate", count: 2 },
    ]);
    expect(view.roomCount).toBe(1);
    expect(view.totals).toEqual({ connections: 2, peers: 2, rooms: 1, messagesPerSecond: 10 });
    expect(view.history).toHaveLength(180);
    expect(view.history[0]).toEqual({ at: 5000 - 179 * 5000, messagesPerSecond: 0, connections: 0 });
    expect(view.history.at(-1)).toEqual({ at: 5000, messagesPerSecond: 10, connections: 2 });
    // A minute later, nothing reported since: the steps in between had no messages and the same connections,
    // and the room's rate is 0.
    const later = directory.overview(ENDPOINTS, 65_000);
    expect(later.history.at(-1)).toEqual({ at: 65_000, messagesPerSecond: 0, connections: 2 });
    expect(later.history.filter((p) => p.messagesPerSecond > 0)).toHaveLength(1);
    expect(later.rooms[0]?.messagesPerSecond).toBe(0);
  });

  it("lists the busiest rooms only, and counts them all", () => {
    const directory = new Directory(memoryStore());
    for (let i = 0; i < MAX_ROOMS_SHOWN + 50; i++) {
      const gauges = { connections: 1 + (i % 7), peers: 1 };
      directory.report({ ...seedRoom(`r${i}`, gauges.connections, {}, 0, gauges.peers), source: `Peers:${i}` });
    }
    const view = directory.overview(ENDPOINTS, 0);
    expect(view.rooms).toHaveLength(MAX_ROOMS_SHOWN);
    expect(view.roomCount).toBe(MAX_ROOMS_SHOWN + 50);
    expect(view.totals.rooms).toBe(MAX_ROOMS_SHOWN + 50);
    expect(view.rooms[0]?.connections).toBe(7);
  });

  it("puts the endpoint first among a series' labels", () => {
    expect(withEndpoint({ [series(COUNTERS.errors, { code: "x" })]: 1, m: 2, z: 0 }, "seed")).toEqual({
      'signal_errors_total{endpoint="seed",code="x"}': 1,
      'm{endpoint="seed"}': 2,
    });
  });
});
