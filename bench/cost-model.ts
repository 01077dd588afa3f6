/**
 * What Cloudflare would bill, from counts the benchmark measured. Prices and free allowances as Cloudflare's
 * Workers and Durable Objects pricing pages state them (checked 2026-11); marginal prices ignore the paid plan's
 * monthly inclusions, so dollar figures are an upper bound.
 */
import { ANNOUNCE_INTERVAL_SECONDS } from "../src/core/broadcast/swarms.js";
import type { ServerResult } from "./report-types.js";
import { round } from "./stats.js";

export const PRICING = {
  free: {
    workerRequestsPerDay: 100_000,
    doRequestsPerDay: 100_000,
    gbSecondsPerDay: 13_000,
    rowsWrittenPerDay: 100_000,
  },
  paidPerMillion: { workerRequests: 0.3, doRequests: 0.15, gbSeconds: 12.5, rowsWritten: 1.0, rowsRead: 0.001 },
  /** Incoming WebSocket messages count as requests at 20:1. */
  messagesPerRequest: 20,
  /** Duration is billed at 128 MB while the object runs a handler (hibernation-eligible idle time is free). */
  gbPerObject: 0.125,
} as const;

export interface Bill {
  workerRequests: number;
  doRequests: number;
  rowsRead: number;
  rowsWritten: number;
  gbSeconds: number;
}

/**
 * The bill for one call setup on this design: two WebSocket upgrades (each a Worker and a Durable Object request),
 * the call's incoming messages at 20:1, the presence revision's ceiling row (one write per 1,000 joins and
 * leaves), and duration estimated from the room's measured CPU time per call (a handler's wall time is close to
 * its CPU time when it never awaits, as here).
 */
export function billPerCall(messagesPerCall: number, cpuSecondsPerCall: number, persistRegistrations = false): Bill {
  const membershipChanges = 4; // two joins, two leaves
  return {
    workerRequests: 2,
    doRequests: 2 + messagesPerCall / PRICING.messagesPerRequest,
    rowsRead: 0,
    // With PERSIST_REGISTRATIONS, each peer's registration is written when it registers and deleted when it leaves.
    rowsWritten: membershipChanges / 1_000 + (persistRegistrations ? membershipChanges : 0),
    gbSeconds: cpuSecondsPerCall * PRICING.gbPerObject,
  };
}

/** How many of `bill` fit in the free plan's daily allowances, and which allowance runs out first. */
export function freePlanPerDay(bill: Bill): { perDay: number; boundBy: string } {
  const limits: Array<[string, number]> = [
    ["Worker requests", PRICING.free.workerRequestsPerDay / bill.workerRequests],
    ["Durable Object requests", PRICING.free.doRequestsPerDay / bill.doRequests],
    ["duration (GB-s)", bill.gbSeconds > 0 ? PRICING.free.gbSecondsPerDay / bill.gbSeconds : Number.POSITIVE_INFINITY],
    [
      "rows written",
      bill.rowsWritten > 0 ? PRICING.free.rowsWrittenPerDay / bill.rowsWritten : Number.POSITIVE_INFINITY,
    ],
  ];
  const [boundBy, perDay] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { perDay: Math.floor(perDay), boundBy };
}

/** Marginal dollars for a million of `bill` on the paid plan. */
export function paidDollarsPerMillion(bill: Bill): number {
  const p = PRICING.paidPerMillion;
  return round(
    bill.workerRequests * p.workerRequests +
      bill.doRequests * p.doRequests +
      bill.gbSeconds * p.gbSeconds +
      bill.rowsWritten * p.rowsWritten +
      bill.rowsRead * p.rowsRead,
    2,
  );
}

export interface IdleDesign {
  design: string;
  workerRequestsPerPeerHour: number;
  doRequestsPerPeerHour: number;
  /** Duration for a room that holds only idle peers, per hour, whatever its size. */
  gbSecondsPerRoomHour: number;
  note: string;
}

/** What an idle, connected peer costs per hour under each design (the GB-s of a room with one such peer). */
export function idleDesigns(): IdleDesign[] {
  const hour = 3_600;
  return [
    {
      design: "this project (runtime-answered keepalive)",
      workerRequestsPerPeerHour: 0,
      doRequestsPerPeerHour: 0,
      gbSecondsPerRoomHour: 0,
      note: "the exact ping text is answered by the runtime: the object stays hibernated (Cloudflare documents that auto-responses do not wake it)",
    },
    {
      design: "this project's PeerJS endpoint (HEARTBEAT answered by the runtime)",
      workerRequestsPerPeerHour: 0,
      doRequestsPerPeerHour: 0,
      gbSecondsPerRoomHour: 0,
      note: "PeerjsRooms has its own auto-response pair for PeerJS's 5 s heartbeat",
    },
    {
      design: `a Trystero/WebTorrent peer on /announce (a re-announce every ${ANNOUNCE_INTERVAL_SECONDS} s)`,
      workerRequestsPerPeerHour: 0,
      doRequestsPerPeerHour: hour / ANNOUNCE_INTERVAL_SECONDS / PRICING.messagesPerRequest,
      // Each announce wakes the object for about the 10 s it idles before hibernating: one peer's share.
      gbSecondsPerRoomHour: round((hour / ANNOUNCE_INTERVAL_SECONDS) * 10 * PRICING.gbPerObject, 1),
      note: `the tracker protocol has no keepalive to auto-answer; ${ANNOUNCE_INTERVAL_SECONDS} s is the longest interval Trystero honours. With ${ANNOUNCE_INTERVAL_SECONDS / 10} or more announcing peers a namespace never hibernates`,
    },
    {
      design: "client heartbeat every 5 s into the object (PeerJS style)",
      workerRequestsPerPeerHour: 0,
      doRequestsPerPeerHour: hour / 5 / PRICING.messagesPerRequest,
      gbSecondsPerRoomHour: hour * PRICING.gbPerObject,
      note: "every heartbeat is a message to the object, which then never idles the ~10 s it needs to hibernate",
    },
    {
      design: "polling every 5 s (p2pcf, idle)",
      workerRequestsPerPeerHour: hour / 5,
      doRequestsPerPeerHour: 0,
      gbSecondsPerRoomHour: 0,
      note: "each poll is a Worker request (p2pcf also reads R2 per poll, not counted here)",
    },
    {
      design: "polling every 1.5 s (p2pcf, while signaling)",
      workerRequestsPerPeerHour: hour / 1.5,
      doRequestsPerPeerHour: 0,
      gbSecondsPerRoomHour: 0,
      note: "p2pcf's fast poll while a connection is being set up",
    },
  ].map((d) => ({ ...d, doRequestsPerPeerHour: round(d.doRequestsPerPeerHour, 1) }));
}

/**
 * What the reliability features cost, by counting what the code does (no measurement needed):
 * - a room with presence watchers is swept for silent connections by an alarm once per idle timeout; each alarm
 *   run bills as a DO request and the next `setAlarm` as a row written;
 * - a dropped peer costs rows only while it is held: its reservation (one row written, and one deleted), each kept
 *   relay (one written, one deleted), and the alarm for its deadline (one `setAlarm`). A clean goodbye costs none.
 *   The same rows whatever the grace period (RESUME_GRACE_SECONDS, 120 by default): holding a peer longer writes
 *   nothing more; only the relays sent to it meanwhile are kept (each a row, within the mailbox bounds);
 * - with PERSIST_REGISTRATIONS, every session writes its registration and deletes it (two rows), so that a kill or
 *   a deploy holds the id; a drop then turns the row into the reservation in the same one write.
 */
export function reliabilityCosts(idleTimeoutSeconds = 120) {
  const sweepsPerDay = 86_400 / idleTimeoutSeconds;
  return {
    presenceSweep: {
      alarmsPerRoomDay: sweepsPerDay,
      doRequestsPerRoomDay: sweepsPerDay,
      rowsWrittenPerRoomDay: sweepsPerDay,
      note: `only while a room has presence watchers; the free plan's ${PRICING.free.rowsWrittenPerDay.toLocaleString("en-US")} rows a day cover ${Math.floor(PRICING.free.rowsWrittenPerDay / sweepsPerDay)} such rooms all day`,
    },
    perDrop: {
      rowsWritten: (keptRelays: number) => 2 + 2 * keptRelays + 1,
      note: "reservation written and deleted, each kept relay written and deleted, one setAlarm; a goodbye writes nothing; the same whatever the grace period",
    },
    persistedRegistration: {
      rowsWrittenPerSession: 2,
      note: "PERSIST_REGISTRATIONS: the registration written at register and deleted at the goodbye",
    },
  };
}

/**
 * One lobby match of `size` peers, before they join their room (each then costs what a call's peer does): each
 * arrival is a WebSocket upgrade (a Worker and a Durable Object request) and sends nothing (its keepalive is
 * answered by the runtime); who waits is in the sockets' attachments, so no row is written. Duration: each arrival's
 * handler, estimated at half a call setup's room CPU (one upgrade and a few frames out, no relay).
 */
export function lobbyMatchBill(size: number, cpuSecondsPerCall: number): Bill {
  return {
    workerRequests: size,
    doRequests: size,
    rowsRead: 0,
    rowsWritten: 0,
    gbSeconds: size * (cpuSecondsPerCall / 2) * PRICING.gbPerObject,
  };
}

/**
 * A polling design's bill for one call setup (p2pcf: no Durable Object; peers POST their signals and poll every
 * 1.5 s while connecting): each poll and each post is a Worker request. `windowSeconds` is how long the setup
 * keeps both peers polling.
 */
export function pollingBillPerCall(windowSeconds = 3, intervalSeconds = 1.5): Bill {
  const polls = 2 * Math.ceil(windowSeconds / intervalSeconds);
  const posts = 2;
  return { workerRequests: polls + posts, doRequests: 0, rowsRead: 0, rowsWritten: 0, gbSeconds: 0 };
}

/** The cost model applied to the S5 call setups this project's server measured (workerd direct if it ran). */
export function costSummary(results: ServerResult[]) {
  const ours = results.find((r) => r.id === "workerd") ?? results.find((r) => r.id === "wrangler-dev");
  const usage = ours?.s5?.usage;
  const calls = ours?.s5?.steps.reduce((sum, s) => sum + s.completed, 0) ?? 0;
  if (!usage || calls === 0) return undefined;
  const bill = billPerCall(usage.clientMessages / calls, usage.serverCpuSeconds / calls);
  const polling = pollingBillPerCall();
  const per1000 = (b: typeof bill) =>
    Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Math.round(v * 1000 * 100) / 100]));
  return {
    measuredOn: ours?.id,
    messagesPerCall: Math.round((usage.clientMessages / calls) * 10) / 10,
    cpuMsPerCall: Math.round((usage.serverCpuSeconds / calls) * 1e5) / 100,
    per1000Calls: per1000(bill),
    freePlan: freePlanPerDay(bill),
    paidDollarsPerMillionCalls: paidDollarsPerMillion(bill),
    polling: {
      per1000Calls: per1000(polling),
      freePlan: freePlanPerDay(polling),
      paidDollarsPerMillionCalls: paidDollarsPerMillion(polling),
    },
    idle: idleDesigns(),
    reliability: (() => {
      const r = reliabilityCosts();
      return { presenceSweep: r.presenceSweep, rowsPerDropWith10KeptRelays: r.perDrop.rowsWritten(10) };
    })(),
    lobbyMatchOf2: (() => {
      const match = lobbyMatchBill(2, usage.serverCpuSeconds / calls);
      return {
        perMatch: match,
        freePlan: freePlanPerDay(match),
        paidDollarsPerMillionMatches: paidDollarsPerMillion(match),
      };
    })(),
    // The same call setups with every registration persisted (PERSIST_REGISTRATIONS = "true" on Cloudflare).
    persistedRegistrations: (() => {
      const persisted = billPerCall(usage.clientMessages / calls, usage.serverCpuSeconds / calls, true);
      return {
        rowsWrittenPer1000Calls: Math.round(persisted.rowsWritten * 1000),
        freePlan: freePlanPerDay(persisted),
        paidDollarsPerMillionCalls: paidDollarsPerMillion(persisted),
      };
    })(),
  };
}

export type CostSummary = NonNullable<ReturnType<typeof costSummary>>;

/** What `npm run bench:ops` counted per call (see bench/ops-cost.ts). */
export interface OpsMeasured {
  reportsPerCall: number;
  /** Of those, the ones an alarm carried (each alarm is a request, and setting it a row written). */
  alarmReportsPerCall: number;
  webhooksPerCall: number;
}

/**
 * What metrics (`METRICS = on`) and webhooks add to one call on Cloudflare, from counts measured on the same shell:
 * - each report is a Durable Object request to the directory and one row it writes (the room's row); a room that
 *   empties writes one more (its counts folded into the totals); each alarm that carries a report is a request,
 *   and setting it a row written;
 * - each webhook is one subrequest, and two rows written in the room (the event stored, then deleted once the
 *   receiver answers 2xx); no request more while receivers answer the first time. A retry: a row updated, an
 *   alarm (a request and a row), a subrequest.
 */
export function opsCostPerCall(measured: OpsMeasured): { metrics: Bill; webhooks: Bill; subrequests: number } {
  const { reportsPerCall, alarmReportsPerCall, webhooksPerCall } = measured;
  return {
    metrics: {
      workerRequests: 0,
      doRequests: reportsPerCall + alarmReportsPerCall,
      rowsRead: 0,
      rowsWritten: reportsPerCall + 1 + alarmReportsPerCall,
      gbSeconds: 0,
    },
    webhooks: { workerRequests: 0, doRequests: 0, rowsRead: 0, rowsWritten: 2 * webhooksPerCall, gbSeconds: 0 },
    subrequests: webhooksPerCall,
  };
}

/**
 * Metrics for a room that stays busy for an hour: one report per interval, carried by its own messages (no alarm),
 * each a request and a row. An idle room costs nothing: it does not report.
 */
export function metricsPerBusyRoomHour(intervalSeconds = 5): Bill {
  const reports = 3600 / intervalSeconds;
  return { workerRequests: 0, doRequests: reports, rowsRead: 0, rowsWritten: reports, gbSeconds: 0 };
}
