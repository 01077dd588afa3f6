/**
 * The Durable Objects of rooms: one per room, a thin shell that forwards every entry point of the WebSocket
 * Hibernation API to the core's pipeline. Nothing lives only in memory: each socket's attachment holds its
 * registration, and the constructor rebuilds the room from `ctx.getWebSockets()` whenever the object wakes or starts
 * after an eviction. `Peers` speaks the seed protocol; `PeerjsRooms` (peerjs-object.ts) PeerJS's, whose keepalive
 * needs its own auto-response pair (one per object).
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../core/config/config.js";
import { logEvent } from "../core/log.js";
import { seedCodec } from "../core/protocols/seed/codec.js";
import type { Codec } from "../core/room/codec.js";
import { Pipeline, type RoomStats } from "../core/room/pipeline.js";
import { PING_TEXT, PONG_TEXT } from "../core/wire/protocol.js";
import {
  answerUpgrade,
  closeQuietly,
  hibernationTransport,
  readConnectionState,
  upgradeFailed,
} from "./hibernation.js";
import { SqliteReservationStore, SqliteRevisionStore } from "./sqlite-store.js";

/**
 * What the Worker tells the room about a connection, in headers it sets itself (replacing any a client sent):
 * the client's address and the peer id its join token binds it to.
 */
export const ADDRESS_HEADER = "x-signal-address";
export const SUBJECT_HEADER = "x-signal-subject";

/** What every room object does: the seed protocol's `Peers` and PeerJS's `PeerjsRooms` (peerjs-object.ts). */
export abstract class RoomObject extends DurableObject<Env> {
  readonly #pipeline: Pipeline<WebSocket>;

  constructor(ctx: DurableObjectState, env: Env, codec: Codec, keepalive: [request: string, response: string]) {
    super(ctx, env);
    // Answered by the runtime itself, so keepalives never wake the object or bill a request.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(...keepalive));
    const revisionStore = new SqliteRevisionStore(ctx.storage.sql);
    const reservationStore = new SqliteReservationStore(ctx.storage.sql);
    this.#pipeline = new Pipeline({
      codec,
      revisionStore,
      reservationStore,
      // A room that empties leaves nothing behind: rooms opened by the thousand and left cost no storage.
      onEmpty: () => {
        if (!revisionStore.used && !reservationStore.used) return;
        revisionStore.forget();
        reservationStore.forget();
        void ctx.storage.deleteAll();
      },
      limits: readConfig(env).limits,
      transport: hibernationTransport(ctx),
      roomName: ctx.id.name ?? "",
    });
    const sockets = ctx.getWebSockets();
    for (const ws of sockets) this.#pipeline.restore(ws, readConnectionState(ws));
    if (sockets.length > 0) logEvent("info", "room_woke", { room: this.#pipeline.roomName, sockets: sockets.length });
  }

  protected get pipeline(): Pipeline<WebSocket> {
    return this.#pipeline;
  }

  override async fetch(request: Request): Promise<Response> {
    return this.accept(request);
  }

  /** Accepts the upgrade into the room, or refuses it as the pipeline says; `opened` runs on an accepted socket. */
  protected accept(request: Request, opened?: (ws: WebSocket) => void): Response {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return Response.json(
        { ok: false, code: "upgrade_required", error: "expected a WebSocket upgrade" },
        { status: 426 },
      );
    }
    try {
      const address = request.headers.get(ADDRESS_HEADER) ?? "";
      const subject = request.headers.get(SUBJECT_HEADER) ?? undefined;
      return answerUpgrade(this.ctx, this.#pipeline.admit(address), (ws) => {
        this.#pipeline.open(ws, { address, subject });
        opened?.(ws);
      });
    } catch (error) {
      return upgradeFailed(error, { room: this.#pipeline.roomName });
    }
  }

  /** For the admin route (`GET /rooms/<name>/stats`), called by the Worker over RPC. */
  stats(): RoomStats {
    return this.#pipeline.stats();
  }

  override webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): void {
    this.#pipeline.message(ws, frame);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#pipeline.closed(ws, code);
    closeQuietly(ws, code, reason);
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    this.#pipeline.failed(ws, error);
  }

  override alarm(): void {
    this.#pipeline.alarm();
  }
}

export class Peers extends RoomObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, seedCodec, [PING_TEXT, PONG_TEXT]);
  }
}
