/**
 * The Durable Objects of the protocols that fan out to groups: `Topics` for y-webrtc (one per namespace, holding
 * every topic of the pages that connect to it, since one y-webrtc socket carries all the rooms of its page) and
 * `Trackers` for WebSocket BitTorrent trackers (one per namespace, holding its swarms). Forwarding shells like
 * room-object.ts: each socket's attachment holds its topics or swarms, and the constructor rebuilds them after a wake.
 */
import { DurableObject } from "cloudflare:workers";
import {
  BroadcastPipeline,
  type BroadcastProtocol,
  type BroadcastState,
} from "../core/broadcast/broadcast-pipeline.js";
import { readConfig } from "../core/config/config.js";
import { webtorrentProtocol } from "../core/protocols/webtorrent/codec.js";
import { yWebrtcProtocol } from "../core/protocols/y-webrtc/codec.js";
import { PING_TEXT, PONG_TEXT } from "../core/wire/protocol.js";
import { answerUpgrade, closeQuietly, hibernationTransport, upgradeFailed } from "./hibernation.js";
import { ADDRESS_HEADER } from "./room-object.js";

abstract class BroadcastObject<Command, Event extends object, S> extends DurableObject<Env> {
  readonly #pipeline: BroadcastPipeline<WebSocket, Command, Event, S>;

  constructor(ctx: DurableObjectState, env: Env, protocol: BroadcastProtocol<WebSocket, Command, Event, S>) {
    super(ctx, env);
    // y-webrtc's keepalive is the same text as the seed protocol's: answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
    this.#pipeline = new BroadcastPipeline({
      protocol,
      limits: readConfig(env).limits,
      transport: hibernationTransport<BroadcastState<S>>(ctx),
      namespace: ctx.id.name ?? "",
    });
    for (const ws of ctx.getWebSockets()) {
      this.#pipeline.restore(ws, this.#pipeline.parseSaved(ws.deserializeAttachment()));
    }
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      const address = request.headers.get(ADDRESS_HEADER) ?? "";
      return answerUpgrade(this.ctx, this.#pipeline.admit(address), (ws) => this.#pipeline.open(ws, { address }));
    } catch (error) {
      return upgradeFailed(error, { namespace: this.#pipeline.namespace });
    }
  }

  /** For the admin route, over RPC. */
  stats(): Record<string, number | string> {
    return this.#pipeline.stats();
  }

  override webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): void {
    this.#pipeline.message(ws, frame);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#pipeline.closed(ws);
    closeQuietly(ws, code, reason);
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    this.#pipeline.failed(ws, error);
  }
}

/** y-webrtc's signaling (`/y-webrtc/<namespace>`). */
export class Topics extends BroadcastObject<unknown, object, unknown> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, yWebrtcProtocol<WebSocket>() as BroadcastProtocol<WebSocket, unknown, object, unknown>);
  }
}

/** WebSocket BitTorrent trackers (`/announce`, `/announce/<namespace>`): WebTorrent, Trystero's torrent strategy. */
export class Trackers extends BroadcastObject<unknown, object, unknown> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, webtorrentProtocol<WebSocket>() as BroadcastProtocol<WebSocket, unknown, object, unknown>);
  }
}
