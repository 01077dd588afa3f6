/**
 * The one Durable Object shell: every entry point of the WebSocket Hibernation API forwards to the connection front,
 * whatever protocol the object speaks. Nothing lives only in memory: each socket's attachment holds what the front
 * and its protocol need, and the constructor rebuilds them from `ctx.getWebSockets()` whenever the object wakes or
 * starts after an eviction. The classes wrangler.toml names (`Peers`, `PeerjsRooms`, `Topics`, `Trackers`) are one
 * line each in objects.ts, naming their protocol.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../core/config/config.js";
import { ConnectionFront, type FrontStats } from "../core/connection/front.js";
import { logEvent } from "../core/log.js";
import { type Endpoint, endpoints } from "./endpoints.js";
import { ADDRESS_HEADER, NAME_HEADER, SUBJECT_HEADER } from "./forwarded.js";
import { answerUpgrade, closeQuietly, hibernationTransport, upgradeFailed } from "./hibernation.js";
import { liveObjects } from "./live-objects.js";

export abstract class SignalObject extends DurableObject<Env> {
  readonly #front: ConnectionFront<WebSocket, unknown>;
  readonly #endpoint: Endpoint;

  constructor(ctx: DurableObjectState, env: Env, endpoint: Endpoint) {
    super(ctx, env);
    this.#endpoint = endpoint;
    // Answered by the runtime itself, so keepalives never wake the object or bill a request.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(...endpoint.keepalive));
    const config = readConfig(env);
    this.#front = new ConnectionFront<WebSocket, unknown>({
      service: (outlet) => endpoint.service(outlet, ctx, config),
      limits: config.limits,
      transport: hibernationTransport(ctx),
      name: ctx.id.name ?? "",
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
        this.#front.open(ws, { address, subject }, query, name);
      });
    } catch (error) {
      return upgradeFailed(error, { room: this.#front.name, protocol: this.#endpoint.protocol });
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
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#front.closed(ws, code);
    closeQuietly(ws, code, reason);
    this.#forgetIfIdle();
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    this.#front.failed(ws, error);
    this.#forgetIfIdle();
  }

  override alarm(): void {
    this.#front.alarm();
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
