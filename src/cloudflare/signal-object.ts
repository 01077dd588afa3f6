/**
 * The one Durable Object shell: every entry point of the WebSocket Hibernation API forwards to the connection front,
 * whatever protocol the object speaks. Nothing lives only in memory: each socket's attachment holds what the front
 * and its protocol need, and the constructor rebuilds them from `ctx.getWebSockets()` whenever the object wakes or
 * starts after an eviction. The classes wrangler.toml names (`Peers`, `PeerjsRooms`, `Topics`, `Trackers`) are one
 * line each in objects.ts, naming their protocol.
 */
import { DurableObject } from "cloudflare:workers";
import { type Config, readConfig } from "../core/config/config.js";
import { ConnectionFront, type FrontStats } from "../core/connection/front.js";
import { describeError, logEvent } from "../core/log.js";
import { COUNTERS, Meter } from "../core/metrics/meter.js";
import { ReportClock } from "../core/metrics/report-clock.js";
import type { PresenceChange } from "../core/room/room.js";
import { Outbox } from "../core/webhooks/outbox.js";
import { Alarms } from "./alarms.js";
import { reportToDirectory } from "./directory-object.js";
import { type Endpoint, endpoints } from "./endpoints.js";
import { ADDRESS_HEADER, NAME_HEADER, SUBJECT_HEADER } from "./forwarded.js";
import { alarmSetter, answerUpgrade, closeQuietly, hibernationTransport, upgradeFailed } from "./hibernation.js";
import { liveObjects } from "./live-objects.js";
import { SqliteOutboxStore } from "./outbox-store.js";

export abstract class SignalObject extends DurableObject<Env> {
  readonly #front: ConnectionFront<WebSocket, unknown>;
  readonly #endpoint: Endpoint;
  readonly #config: Config;
  readonly #alarms: Alarms;
  readonly #meter = new Meter();
  /** Reports to the directory (`METRICS`); absent when metrics are off. */
  readonly #reports: ReportClock | undefined;
  /** What the front's traffic counts were at the last report. */
  readonly #reported = { received: 0, sent: 0 };
  /** Webhooks (`WEBHOOK_URL`), for the rooms of the seed protocol and PeerJS; absent otherwise. */
  readonly #outbox: Outbox | undefined;
  readonly #outboxStore: SqliteOutboxStore;
  /** The room emptied while webhooks waited in its storage: wiped once they are sent, unless someone came. */
  #wipeWhenDrained: (() => void) | undefined;

  constructor(ctx: DurableObjectState, env: Env, endpoint: Endpoint) {
    super(ctx, env);
    this.#endpoint = endpoint;
    // Answered by the runtime itself, so keepalives never wake the object or bill a request.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(...endpoint.keepalive));
    const config = readConfig(env);
    this.#config = config;
    const shared = config.metrics || config.webhooks !== undefined;
    this.#alarms = new Alarms(alarmSetter(ctx), shared);
    if (shared) {
      // Others than the service may ask for the alarm: the one already set must not be lost (see alarms.ts).
      void ctx.blockConcurrencyWhile(async () => this.#alarms.inherit(await ctx.storage.getAlarm()));
    }
    this.#outboxStore = new SqliteOutboxStore(ctx.storage.sql);
    const webhooks = config.webhooks;
    const rooms = endpoint.protocol === "seed" || endpoint.protocol === "peerjs";
    this.#outbox =
      webhooks && rooms
        ? new Outbox({
            config: webhooks,
            store: this.#outboxStore,
            now: Date.now,
            schedule: (at) => this.#alarms.ask("webhooks", at),
            meter: this.#meter,
            log: (level, event, fields) => logEvent(level, event, { room: this.#front.name, ...fields }),
            drained: () => this.#drained(),
          })
        : undefined;
    this.#reports = config.metrics
      ? new ReportClock(
          config.metricsIntervalMs,
          (trigger) => this.#report(trigger),
          (at) => this.#alarms.ask("metrics", at),
        )
      : undefined;
    const transport = hibernationTransport(ctx, (at) => this.#alarms.ask("service", at));
    const outbox = this.#outbox;
    this.#front = new ConnectionFront<WebSocket, unknown>({
      service: (outlet) =>
        endpoint.service(outlet, {
          ctx,
          config,
          ...(outbox ? { onPresence: (change: PresenceChange) => this.#presence(change) } : {}),
          emptied: (forget) => this.#emptied(forget),
        }),
      limits: config.limits,
      transport,
      name: ctx.id.name ?? "",
      meter: this.#meter,
    });
    const sockets = ctx.getWebSockets();
    for (const ws of sockets) this.#front.restore(ws, ws.deserializeAttachment());
    this.#front.restored();
    if (sockets.length > 0) {
      liveObjects.add(env, endpoint.binding, ctx.id);
      logEvent("info", "room_woke", { room: this.#front.name, protocol: endpoint.protocol, sockets: sockets.length });
    }
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return Response.json(
        { ok: false, code: "upgrade_required", error: "expected a WebSocket upgrade" },
        { status: 426 },
      );
    }
    try {
      const address = request.headers.get(ADDRESS_HEADER) ?? "";
      const subject = request.headers.get(SUBJECT_HEADER) ?? undefined;
      const name = request.headers.get(NAME_HEADER) ?? "";
      const query = new URL(request.url).searchParams;
      return answerUpgrade(this.ctx, this.#front.admit(address, query), (ws) => {
        liveObjects.add(this.env, this.#endpoint.binding, this.ctx.id);
        this.#wipeWhenDrained = undefined;
        this.#front.open(ws, { address, subject }, query, name);
      });
    } catch (error) {
      return upgradeFailed(error, { room: this.#front.name, protocol: this.#endpoint.protocol });
    } finally {
      this.#changed();
    }
  }

  /** For the admin route (`GET /rooms/<name>/stats`), over RPC. */
  stats(): FrontStats {
    return this.#front.stats();
  }

  /** The peer ids connected, for PeerJS's `GET /peerjs/<key>/peers` when discovery is allowed. */
  peerIds(): string[] {
    return this.#endpoint.peerIds?.(this.#front.service) ?? [];
  }

  /** The self-hosted server is stopping: every socket closed with `code`, each held for its client to resume. */
  shutdown(code: number, reason: string): number {
    const closed = this.#front.shutdown(code, reason);
    liveObjects.remove(this.env, this.#endpoint.binding, this.ctx.id);
    return closed;
  }

  override webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): void {
    this.#front.message(ws, frame);
    this.#changed();
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#front.closed(ws, code);
    closeQuietly(ws, code, reason);
    this.#forgetIfIdle();
    this.#changed();
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    this.#front.failed(ws, error);
    this.#forgetIfIdle();
    this.#changed();
  }

  override alarm(): void {
    const now = Date.now();
    const due = this.#alarms.came(now);
    if (due.has("service")) this.#front.alarm();
    if (due.has("webhooks")) this.#outbox?.woke();
    if (due.has("metrics")) this.#reports?.woke(now);
    else this.#changed();
  }

  /** Something happened: the directory hears of it within the interval. */
  #changed(): void {
    this.#reports?.changed(Date.now());
  }

  #report(trigger: "event" | "alarm"): void {
    const stats = this.#front.stats();
    const counters = this.#meter.take();
    const received = stats.messagesIn - this.#reported.received;
    const sent = stats.messagesOut - this.#reported.sent;
    this.#reported.received = stats.messagesIn;
    this.#reported.sent = stats.messagesOut;
    if (received > 0) counters[COUNTERS.received] = received;
    if (sent > 0) counters[COUNTERS.sent] = sent;
    const peers = Number(stats.peers ?? stats.subscribers ?? stats.waiting ?? 0);
    void reportToDirectory(this.env, this.#config, {
      source: `${this.#endpoint.binding}:${this.ctx.id.toString()}`,
      endpoint: this.#endpoint.protocol,
      name: this.#front.name,
      gauges: { connections: this.#front.connectionCount, peers },
      counters,
      at: Date.now(),
      trigger,
    });
  }

  #presence(change: PresenceChange): void {
    const outbox = this.#outbox;
    if (!outbox) return;
    const room = this.#front.name;
    const endpoint = this.#endpoint.protocol;
    if (change.type === "joined") {
      outbox.enqueue({
        type: "peer.joined",
        room,
        peerId: change.peerId,
        endpoint,
        ...(change.resumed ? { resumed: true } : {}),
      });
    } else {
      outbox.enqueue({ type: "peer.left", room, peerId: change.peerId, endpoint, reason: change.reason });
    }
  }

  /** The room holds nothing: its storage goes now, or once the webhooks waiting in it are sent. */
  #emptied(forget: () => void): void {
    const wipe = () => {
      forget();
      this.#outboxStore.forget();
      void this.ctx.storage.deleteAll();
      // deleteAll takes the alarm too: whatever still waits (a metrics report) asks again.
      this.#alarms.wiped();
    };
    if (this.#outboxStore.count() > 0 || this.#outbox?.sending) this.#wipeWhenDrained = wipe;
    else wipe();
  }

  #drained(): void {
    const wipe = this.#wipeWhenDrained;
    if (!wipe || this.#front.connectionCount > 0) return;
    this.#wipeWhenDrained = undefined;
    try {
      wipe();
    } catch (error) {
      logEvent("error", "wipe_failed", { room: this.#front.name, error: describeError(error) });
    }
  }

  #forgetIfIdle(): void {
    if (this.#front.connectionCount === 0) liveObjects.remove(this.env, this.#endpoint.binding, this.ctx.id);
  }
}

/** The class of an object that speaks `protocol`: what each class in objects.ts extends. */
export function signalObject(protocol: keyof typeof endpoints) {
  const endpoint = endpoints[protocol];
  return class extends SignalObject {
    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env, endpoint);
    }
  };
}
