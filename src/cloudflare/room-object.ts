/**
 * The Durable Objects of rooms: one per room, a thin shell that forwards every entry point of the WebSocket
 * Hibernation API to the core's pipeline. Nothing lives only in memory: each socket's attachment holds its
 * registration, and the constructor rebuilds the room from `ctx.getWebSockets()` whenever the object wakes or starts
 * after an eviction. `Peers` speaks the seed protocol; `PeerjsRooms` PeerJS's, whose keepalive needs its own
 * auto-response pair (one per object).
 */
import { DurableObject } from "cloudflare:workers";
import type { Codec } from "../core/codec.js";
import {
  fromRoomId,
  isPeerjsId,
  PEERJS_ERRORS,
  PEERJS_HEARTBEAT,
  peerjsCodec,
  peerjsError,
  toRoomId,
} from "../core/codecs/peerjs.js";
import { seedCodec } from "../core/codecs/seed.js";
import { readConfig } from "../core/config.js";
import { describeError, logEvent } from "../core/log.js";
import { Pipeline, type RoomStats } from "../core/pipeline.js";
import { PING_TEXT, PONG_TEXT } from "../core/protocol.js";
import { closeQuietly, hibernationTransport, readConnectionState } from "./hibernation.js";
import { SqliteReservationStore, SqliteRevisionStore } from "./sqlite-store.js";

/**
 * What the Worker tells the room about a connection, in headers it sets itself (replacing any a client sent):
 * the client's address and the peer id its join token binds it to.
 */
export const ADDRESS_HEADER = "x-signal-address";
export const SUBJECT_HEADER = "x-signal-subject";

abstract class RoomObject extends DurableObject<Env> {
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

  /** Accepts the upgrade into the room, or refuses it; `opened` runs on an accepted socket. */
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
      const refusal = this.#pipeline.admit(address);
      if (refusal?.kind === "http") {
        const { status, code, error } = refusal;
        logEvent("warn", "connection_refused", { room: this.#pipeline.roomName, code });
        return Response.json({ ok: false, code, error }, { status, headers: { "retry-after": "60" } });
      }
      const { 0: client, 1: server } = new WebSocketPair();
      if (refusal) {
        // Accepted outside hibernation, so that the runtime completes the close at once (a hibernatable socket
        // closed by the server reached the client 10 s later).
        server.accept();
        server.send(refusal.frame);
        server.close(refusal.code, refusal.reason);
      } else {
        this.ctx.acceptWebSocket(server);
        this.#pipeline.open(server, { address, subject });
        opened?.(server);
      }
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      logEvent("error", "upgrade_failed", { room: this.#pipeline.roomName, error: describeError(error) });
      return Response.json(
        { ok: false, code: "internal_error", error: "could not open the connection; try again" },
        { status: 500 },
      );
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

/**
 * PeerJS clients (`/peerjs/peerjs?key=&id=&token=`): one object per key. A client registers by connecting, with
 * its own token: the same id and token again takes the old connection over.
 */
export class PeerjsRooms extends RoomObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, peerjsCodec, [PEERJS_HEARTBEAT, PEERJS_HEARTBEAT]);
  }

  override async fetch(request: Request): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const id = query.get("id");
    const token = query.get("token");
    if (!id || !token) return refuseSocket(peerjsError(PEERJS_ERRORS.invalidParameters));
    if (!isPeerjsId(id)) return refuseSocket(peerjsError(PEERJS_ERRORS.invalidId));
    if (token.length > 64) return refuseSocket(peerjsError(PEERJS_ERRORS.invalidToken));
    return this.accept(request, (ws) => {
      const peerId = toRoomId(id);
      this.pipeline.command(ws, { type: "register", peerId, presence: false, resumeToken: token, ownToken: token });
    });
  }

  /** The ids connected under this key, for `GET /peerjs/<key>/peers` when discovery is allowed. */
  peerIds(): string[] {
    return this.pipeline.room.peerIds().map(fromRoomId);
  }
}

/** Says why in a frame on a socket accepted outside hibernation, and closes it at once, as the original does. */
function refuseSocket(frame: string): Response {
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.send(frame);
  server.close(1000, "refused");
  return new Response(null, { status: 101, webSocket: client });
}
