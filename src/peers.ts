/**
 * The Durable Object: one per room, a thin shell over `Room` using the WebSocket Hibernation API. Nothing lives
 * only in memory: each socket's attachment holds its room name and registration, and the constructor rebuilds
 * the room from `ctx.getWebSockets()` whenever the object wakes from hibernation or starts after an eviction.
 */
import { DurableObject } from "cloudflare:workers";
import { type Limits, readLimits } from "./limits.js";
import { logEvent } from "./log.js";
import {
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
  errorMessage,
  PING_TEXT,
  PONG_TEXT,
  parseClientMessage,
  type ServerMessage,
} from "./protocol.js";
import { TokenBucket } from "./rate-limit.js";
import { Revision } from "./revision.js";
import { type Outbound, Room } from "./room.js";
import { readAttachment, SqliteRevisionStore, writeAttachment } from "./socket-state.js";

export class Peers extends DurableObject<Env> {
  readonly #limits: Limits;
  readonly #room: Room<WebSocket>;
  readonly #buckets = new WeakMap<WebSocket, TokenBucket>();
  /** For logs. The id knows the name it was made from; registered sockets' attachments keep it as well. */
  #roomName: string;
  /** A cache of `ctx.getWebSockets().length`, recounted whenever it says the room is full. */
  #connections: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#limits = readLimits(env);
    // Answered by the runtime itself, so keepalives never wake the object or bill a request.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
    this.#room = new Room(this.#limits, new Revision(new SqliteRevisionStore(ctx.storage.sql)));
    this.#roomName = ctx.id.name ?? "";
    const sockets = ctx.getWebSockets();
    this.#connections = sockets.length;
    for (const ws of sockets) {
      const state = readAttachment(ws);
      if (!state) continue;
      this.#roomName ||= state.room;
      if (state.peerId !== undefined) {
        this.#room.restore(ws, { peerId: state.peerId, presence: state.presence ?? false });
      }
    }
    if (sockets.length > 0) {
      logEvent("info", "room_woke", { room: this.#roomName, sockets: sockets.length, peers: this.#room.peerCount });
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
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      this.ctx.acceptWebSocket(server);
      // Checked after accepting, so the newcomer can be told why it is turned away rather than seeing a bare
      // failed handshake (browsers hide the HTTP status of a refused upgrade).
      if (!this.#admit()) {
        const max = this.#limits.maxPeersPerRoom;
        this.#send(server, errorMessage("room_full", `room is full: ${max} of ${max} connections`));
        server.close(CLOSE_TRY_AGAIN_LATER, "room full");
      }
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      logEvent("error", "upgrade_failed", { room: this.#roomName, error: describe(error) });
      return Response.json(
        { ok: false, code: "internal_error", error: "could not open the connection; try again" },
        { status: 500 },
      );
    }
  }

  /**
   * Whether the socket just accepted fits in the room. The count is a cache, recounted from the runtime only
   * when it says the room is full, so a missed close can never keep a room full.
   */
  #admit(): boolean {
    this.#connections++;
    if (this.#connections <= this.#limits.maxPeersPerRoom) return true;
    this.#connections = this.ctx.getWebSockets().length;
    return this.#connections <= this.#limits.maxPeersPerRoom;
  }

  override webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): void {
    try {
      let bucket = this.#buckets.get(ws);
      const now = Date.now();
      if (!bucket) {
        bucket = new TokenBucket(this.#limits, now);
        this.#buckets.set(ws, bucket);
      }
      const verdict = bucket.take(now);
      const parsed = parseClientMessage(frame, this.#limits.maxMessageBytes);
      if (verdict !== "ok") {
        const requestId = parsed.ok ? parsed.message.request_id : parsed.error.request_id;
        this.#send(ws, errorMessage("rate_limited", this.#rateText(), requestId));
        if (verdict === "abusive") this.#closeAbusive(ws);
        return;
      }
      if (!parsed.ok) {
        this.#send(ws, parsed.error);
        return;
      }
      const message = parsed.message;
      this.#deliver(ws, this.#room.handle(ws, message), message.request_id);
      if (message.type === "register") this.#saveRegistration(ws);
    } catch (error) {
      this.#fail(ws, "message_failed", error);
    }
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.#connections = Math.max(0, this.#connections - 1);
    try {
      this.#deliver(ws, this.#room.leave(ws));
    } catch (error) {
      this.#fail(ws, "close_failed", error);
    } finally {
      closeQuietly(ws, code, reason);
    }
  }

  override webSocketError(ws: WebSocket, error: unknown): void {
    try {
      logEvent("warn", "socket_error", { room: this.#roomName, peer_id: this.#peerOf(ws), error: describe(error) });
      this.#deliver(ws, this.#room.leave(ws));
    } catch (failure) {
      this.#fail(ws, "socket_error_failed", failure);
    }
  }

  /** Sends each outbound message, stringifying a broadcast once. A relay that cannot reach its target is answered. */
  #deliver(origin: WebSocket, out: Outbound<WebSocket>[], requestId?: string): void {
    let last: ServerMessage | undefined;
    let text = "";
    for (const { to, message } of out) {
      if (message !== last) {
        last = message;
        text = JSON.stringify(message);
      }
      if (!sendQuietly(to, text) && message.type === "relay") {
        this.#send(
          origin,
          errorMessage("unknown_peer", "the target peer is disconnecting; the relay was not delivered", requestId),
        );
      }
    }
  }

  #send(ws: WebSocket, message: ServerMessage): void {
    sendQuietly(ws, JSON.stringify(message));
  }

  #saveRegistration(ws: WebSocket): void {
    const registration = this.#room.registrationOf(ws);
    if (!registration) return;
    writeAttachment(ws, { room: this.#roomName, peerId: registration.peerId, presence: registration.presence });
  }

  #closeAbusive(ws: WebSocket): void {
    logEvent("warn", "rate_abuse_closed", { room: this.#roomName, peer_id: this.#peerOf(ws), code: "rate_limited" });
    this.#deliver(ws, this.#room.leave(ws));
    closeQuietly(ws, CLOSE_POLICY_VIOLATION, "rate limit exceeded for too long");
  }

  #rateText(): string {
    const { ratePerSecond, rateBurst } = this.#limits;
    return `over the rate limit of ${ratePerSecond} messages/s (bursts of ${rateBurst}); the message was dropped`;
  }

  #peerOf(ws: WebSocket): string | undefined {
    return this.#room.registrationOf(ws)?.peerId;
  }

  /** Logs one line (room, peer and what failed; never the relayed data) and tells the client, never with a stack. */
  #fail(ws: WebSocket, event: string, error: unknown): void {
    logEvent("error", event, {
      room: this.#roomName,
      peer_id: this.#peerOf(ws),
      code: "internal_error",
      error: describe(error),
    });
    this.#send(ws, errorMessage("internal_error", "the server failed to handle this message; it was dropped"));
  }
}

/** Sends unless the socket is already closing; reports whether it was handed to the runtime. */
function sendQuietly(ws: WebSocket, text: string): boolean {
  try {
    ws.send(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Answers the peer's Close frame. With the Hibernation API the runtime does not reply on its own, and a socket
 * left unanswered hangs in CLOSING on the client until it times out (cloudflare/partykit#389). Codes 1005, 1006
 * and 1015 describe what happened and may not be sent, so they are answered with 1000.
 */
function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  const sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  try {
    ws.close(sendable ? code : CLOSE_NORMAL, reason);
  } catch {
    // Already closed: nothing to answer.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
