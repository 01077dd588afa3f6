/**
 * The signaling client: one WebSocket to one room, registered under one peer id, that reconnects on its own.
 * Requests with an answer are promises matched by `request_id`. Relays are numbered and kept until the server
 * acknowledges them: those sent while reconnecting, or lost in flight with a connection, are sent again once the
 * client has registered again, and the server drops what it already has. Runs in browsers and in Node (inject
 * `WebSocket` from `ws`).
 */
import { newResumeToken } from "../core/room/resume-token.js";
import {
  type PeersMessage,
  parseServerMessage,
  type RegisteredMessage,
  type ServerMessage,
} from "../core/wire/protocol.js";
import { Attempt, type Loss } from "./attempt.js";
import { backoffDelay } from "./backoff.js";
import { type ResolvedOptions, resolveOptions, type SignalingClientOptions } from "./client-options.js";
import { type Deferred, deferred } from "./deferred.js";
import { Emitter } from "./emitter.js";
import { PendingRequests } from "./pending-requests.js";
import { SignalingError, type SignalingErrorCode } from "./signaling-error.js";
import type { ConnectionState, SignalingEvents } from "./signaling-events.js";
import { UnackedRelays } from "./unacked-relays.js";
import { roomUrl } from "./websocket.js";

export type { ConnectionState, SignalingEvents } from "./signaling-events.js";

type Outgoing = { type: "list_peers"; with_meta?: boolean; request_id: string };

/** Errors after which registering again cannot succeed: the client gives up rather than retry forever. */
const FATAL: ReadonlySet<SignalingErrorCode> = new Set(["invalid_peer_id", "already_registered", "invalid_message"]);
/** What an upgrade refused with each HTTP status is called, where the server's own words did not come. */
const REFUSED: Readonly<Record<number, SignalingErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  429: "too_many_connections",
};
/** Refusals a new join token may mend: with a `token` function, it is asked for a fresh one this many times. */
const TOKEN_REFUSALS_TRIED = 3;
/** After a server restart (1012), the client is back within this long, spread at random so that a crowd is too. */
const RESTART_RECONNECT_MS = 1_000;
/**
 * ... and keeps trying that often while its successor comes up (a self-hosted server takes seconds to start), for
 * this long, before the usual backoff: so a crowd is back within seconds of the server, not of its last backoff.
 */
const RESTART_WINDOW_MS = 60_000;
/**
 * A working connection that drops is tried again as often for this long first: a server killed or crashed (no
 * 1012) is back in seconds, and the backoff would keep a crowd away for many more. A few tries, then the backoff.
 */
const DROP_WINDOW_MS = 5_000;
/**
 * Refused with 429 (too many new connections from this address in a minute), the client waits half a minute to a
 * minute: the server counts refused attempts too, so retrying sooner would keep the address, and every other
 * client behind it, refused.
 */
const TOO_MANY_RETRY_MS = 60_000;

/**
 * One WebSocket to one room, registered under one peer id, that reconnects on its own and takes its id back with
 * its resume token. `connect()` registers; `relay(to, data)` sends; events: `relay`, `peer-joined`, `peer-left`,
 * `registered`, `state`, `error`.
 */
export class SignalingClient extends Emitter<SignalingEvents> {
  readonly peerId: string;
  readonly room: string | undefined;
  readonly url: string;
  readonly #options: ResolvedOptions;
  #state: ConnectionState = "closed";
  #final = false;
  /** The connection attempt in force, from its start until it is abandoned. */
  #current: Attempt | undefined;
  /** Counts attempts and their ends, so that a request knows whether it was sent on the socket in force. */
  #generation = 0;
  #attempt = 0;
  /** Until when the server is taken to be restarting: the client tries every second, not on its backoff. */
  #restartingUntil = 0;
  #counter = 0;
  #registerId = "";
  /** The newest resume token the server gave; presented on every reconnect. */
  #resumeToken: string;
  /** The `seq` of the last relay received on the current connection, reported on resume so none is lost. */
  #lastSeq = 0;
  #registered = false;
  #lastRegistered: RegisteredMessage | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #unacked: UnackedRelays;
  /** Whether the server acknowledges numbered relays (its `registered` says `acked`); an older one does not. */
  #serverAcks = true;
  /** The refusal the server said in a frame on this attempt, before closing it. */
  #refusal: SignalingError | undefined;
  /** Refusals of the join token in a row. */
  #tokenRefusals = 0;
  readonly #pending: PendingRequests<Outgoing>;
  #connecting: Deferred<RegisteredMessage, SignalingError> | undefined;

  constructor(options: SignalingClientOptions) {
    super();
    this.peerId = options.peerId;
    this.room = options.room;
    this.url = roomUrl(options.url, options.room);
    this.#options = resolveOptions(options);
    this.#resumeToken = options.resumeToken ?? newResumeToken();
    this.#pending = new PendingRequests(this.#options.requestTimeoutMs);
    this.#unacked = new UnackedRelays(this.#options.maxQueue);
  }

  /** The resume token in force (the client's own until a server answers), to keep across a page reload. */
  get resumeToken(): string {
    return this.#resumeToken;
  }

  /** The join token from the `token` option (calling the function for a fresh one), for the server's HTTP routes. */
  async joinToken(): Promise<string | undefined> {
    const token = this.#options.token;
    return typeof token === "function" ? await token() : token;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Opens the connection and registers. Resolves with the `registered` answer (the room's other peers
   * included); rejects with the server's error code (e.g. `peer_id_taken`, `room_full`) or `closed`. While the
   * server cannot be reached it keeps retrying with backoff.
   */
  connect(): Promise<RegisteredMessage> {
    if (this.#final) return Promise.reject(new SignalingError("closed", "this client was closed; create a new one"));
    if (this.#connecting) return this.#connecting.promise;
    // Already started: answer with the registration in force, or the next one while reconnecting.
    if (this.#lastRegistered && this.#registered) return Promise.resolve(this.#lastRegistered);
    if (this.#lastRegistered) return new Promise((resolve) => this.once("registered", resolve));
    this.#connecting = deferred();
    this.#setState("connecting");
    this.#open();
    return this.#connecting.promise;
  }

  /**
   * Sends `data` to peer `to`: now, or once registered again if the client is reconnecting. Kept until the server
   * acknowledges it, and sent again after a drop that may have lost it. A failure arrives as an `error` event.
   */
  relay(to: string, data: unknown): void {
    if (this.#final) throw new SignalingError("closed", "the client was closed");
    const relay = this.#unacked.add(to, data);
    if (!this.#registered) return;
    this.#sendNow(relay);
    if (!this.#serverAcks) this.#unacked.clear();
  }

  /** How many relays the server has not acknowledged yet. */
  get unacknowledged(): number {
    return this.#unacked.size;
  }

  /** The other peers registered in the room. */
  async listPeers(): Promise<string[]> {
    const answer = (await this.#request({ type: "list_peers", request_id: this.#nextId("list") })) as PeersMessage;
    return answer.peers;
  }

  /** The other peers registered in the room, each with its `meta` (undefined for a peer that registered none). */
  async listPeersWithMeta(): Promise<Array<{ peerId: string; meta?: unknown }>> {
    const request = { type: "list_peers", with_meta: true, request_id: this.#nextId("list") } as const;
    const answer = (await this.#request(request)) as PeersMessage;
    return answer.peers.map((peerId) => withMeta(peerId, answer.peer_meta));
  }

  /** Drops the current connection and connects again now, e.g. after the network changed. */
  reconnect(): void {
    if (this.#final || !this.#current?.started) return;
    this.#abandonSocket();
    this.#scheduleReconnect(0);
  }

  /**
   * Closes for good, with a goodbye (code 1000): the peer leaves the room at once, its id not held for a resume.
   * Pending requests reject with `closed`; queued messages are dropped.
   */
  close(): void {
    if (this.#final) return;
    this.#final = true;
    clearTimeout(this.#reconnectTimer);
    // A goodbye: the server lets the peer leave at once instead of holding its id for a resume.
    this.#abandonSocket(1000, "client closed");
    const closed = new SignalingError("closed", "the client was closed");
    this.#connecting?.reject(closed);
    this.#connecting = undefined;
    this.#pending.rejectAll(closed);
    this.#unacked.clear();
    this.#setState("closed");
  }

  #open(): void {
    this.#generation++;
    this.#registered = false;
    this.#current = new Attempt(this.#options, this.url, {
      open: () => this.#register(),
      message: (data) => this.#onMessage(data),
      lost: (loss) => this.#onSocketLost(loss),
      replaced: () => this.#onReplaced(),
      tokenFailed: (why) =>
        this.emit("error", new SignalingError("token_failed", `could not get a join token: ${why}`)),
    });
  }

  /**
   * With the latest resume token, so that after a drop the id is taken back, never met as "taken": the first
   * registration too, whose answer may be lost with its connection after the server took the id.
   */
  #register(): void {
    this.#registerId = this.#nextId("register");
    const { meta } = this.#options;
    this.#sendNow({
      type: "register",
      peer_id: this.peerId,
      presence: this.#options.presence,
      ...(meta === undefined ? {} : { meta }),
      ...(this.#options.withMeta ? { with_meta: true } : {}),
      resume_token: this.#resumeToken,
      last_seq: this.#lastSeq,
      request_id: this.#registerId,
    });
  }

  #onMessage(data: unknown): void {
    // Anything that is not a message of this protocol, or of a type this version does not know, is ignored.
    const message = parseServerMessage(data);
    if (!message) return;
    switch (message.type) {
      case "registered":
        if (message.request_id === this.#registerId) this.#onRegistered(message);
        break;
      case "peers":
      case "pong":
        this.#current?.pong();
        if (message.request_id) this.#pending.resolve(message.request_id, message);
        break;
      case "relay":
        if (message.seq !== undefined) this.#lastSeq = message.seq;
        this.emit("relay", { from: message.from, data: message.data });
        break;
      case "peer_joined":
        this.emit("peer-joined", {
          peerId: message.peer_id,
          rev: message.rev,
          ...(message.meta === undefined ? {} : { meta: message.meta }),
        });
        break;
      case "peer_left":
        this.emit("peer-left", { peerId: message.peer_id, rev: message.rev });
        break;
      case "ack":
        this.#unacked.acked(message.seq);
        break;
      case "error":
        // An answer to one of our relays is numbered with what this connection is handed.
        if (message.seq !== undefined) this.#lastSeq = message.seq;
        this.#onServerError(new SignalingError(message.code, message.error, message.request_id, message.to));
        break;
      default:
        break; // a newer server's message: ignored, as the protocol asks
    }
  }

  #onRegistered(message: RegisteredMessage): void {
    this.#current?.registered();
    if (message.resume_token) this.#resumeToken = message.resume_token;
    this.#lastSeq = 0; // the new connection numbers its relays afresh
    const again = this.#lastRegistered !== undefined;
    this.#registered = true;
    this.#lastRegistered = message;
    this.#attempt = 0;
    this.#restartingUntil = 0;
    this.#tokenRefusals = 0;
    this.#setState("open");
    // What the server has is dropped; the rest (lost in flight, or sent while away) goes again, in order.
    this.#serverAcks = message.acked !== undefined;
    if (message.acked !== undefined) this.#unacked.acked(message.acked);
    const resent = this.#unacked.waiting();
    for (const relay of resent) this.#sendNow(relay);
    if (!this.#serverAcks) this.#unacked.clear();
    for (const pending of this.#pending.unsentOn(this.#generation)) this.#sendPending(pending);
    this.#connecting?.resolve(message);
    this.#connecting = undefined;
    this.emit("registered", message);
    if (again) {
      // Whole when the id was taken back with everything the last connection was handed after last_seq.
      const recovered = message.resumed === true && message.recovered !== false;
      this.emit("rejoined", { resumed: message.resumed === true, recovered, resent: resent.length });
    }
  }

  #onServerError(error: SignalingError): void {
    if (error.requestId && error.requestId === this.#registerId && !this.#registered) {
      this.#onRegisterFailed(error);
      return;
    }
    // A refused upgrade said in a frame: its close follows, and decides.
    if (!this.#registered && REFUSAL_CODES.has(error.code)) {
      this.#refusal = error;
      return;
    }
    if (error.requestId) {
      this.#unacked.told(error.requestId);
      if (this.#pending.reject(error.requestId, error)) return;
    }
    this.emit("error", error);
  }

  /**
   * The first registration's failure is the caller's to handle (connect() rejects, the client closes). Later,
   * a taken id or a full room is usually our own previous socket not yet gone, so the client retries.
   */
  #onRegisterFailed(error: SignalingError): void {
    if (this.#connecting || FATAL.has(error.code)) {
      const connecting = this.#connecting;
      this.#connecting = undefined;
      this.emit("error", error);
      this.close();
      connecting?.reject(error);
      return;
    }
    this.emit("error", error);
    this.#abandonSocket();
    this.#scheduleReconnect(this.#attempt++);
  }

  /** Another connection took this id over with its resume token: trying to take it back would only fight it. */
  #onReplaced(): void {
    this.emit("error", new SignalingError("replaced", "another connection took this peer id over; closing"));
    this.close();
  }

  #onSocketLost(loss: Loss): void {
    const refusal = this.#refusal;
    this.#refusal = undefined;
    if (loss.kind === "dropped" && this.#registered) {
      this.#restartingUntil = Math.max(this.#restartingUntil, Date.now() + DROP_WINDOW_MS);
    }
    this.#abandonSocket();
    if (this.#final) return;
    if (loss.kind === "restarting") {
      // The server restarts (a deploy, a self-hosted server stopping): its successor is a moment away, and the id
      // is held for this client meanwhile. Back at once, spread at random so that every client is not at once.
      this.#attempt = 0;
      this.#restartingUntil = Date.now() + RESTART_WINDOW_MS;
      this.#scheduleReconnect(0, { baseMs: RESTART_RECONNECT_MS, maxMs: RESTART_RECONNECT_MS });
      return;
    }
    if (loss.kind === "refused") {
      this.#onRefused(refusal ?? refusedWith(loss.status));
      return;
    }
    const { backoff } = this.#options;
    // While the server may be restarting, the backoff grows no longer than a second.
    const capped = { ...backoff, maxMs: Math.min(backoff.maxMs, RESTART_RECONNECT_MS) };
    this.#scheduleReconnect(this.#attempt++, Date.now() < this.#restartingUntil ? capped : backoff);
  }

  /**
   * The server refused the upgrade. Too many connections will pass: try again later. A refused join token, or a
   * room or origin it does not grant, will not change by itself: `connect()` rejects and the client closes, unless
   * `token` is a function, which is asked again for a fresh token a few times first.
   */
  #onRefused(error: SignalingError): void {
    this.emit("error", error);
    const mendable =
      typeof this.#options.token === "function" && (error.code === "unauthorized" || error.code === "forbidden");
    if (error.code === "too_many_connections") {
      this.#reconnectIn(TOO_MANY_RETRY_MS * (0.5 + Math.random() / 2));
      return;
    }
    if (mendable && ++this.#tokenRefusals < TOKEN_REFUSALS_TRIED) {
      this.#scheduleReconnect(this.#attempt++);
      return;
    }
    const connecting = this.#connecting;
    this.#connecting = undefined;
    this.close();
    connecting?.reject(error);
  }

  #scheduleReconnect(attempt: number, backoff = this.#options.backoff): void {
    this.#reconnectIn(backoffDelay(attempt, backoff));
  }

  #reconnectIn(delayMs: number): void {
    this.#setState(this.#connecting ? "connecting" : "reconnecting");
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (!this.#final) this.#open();
    }, delayMs);
  }

  /**
   * Forgets the current attempt: its late events are ignored. Any code but a goodbye's lets the server hold the
   * peer id for the reconnect that follows.
   */
  #abandonSocket(code?: number, reason?: string): void {
    this.#current?.abandon(code, reason);
    this.#current = undefined;
    this.#registered = false;
    this.#generation++;
  }

  #request(message: Outgoing): Promise<ServerMessage> {
    if (this.#final) return Promise.reject(new SignalingError("closed", "the client was closed"));
    const { promise, entry } = this.#pending.add(message);
    if (this.#registered) this.#sendPending(entry);
    return promise;
  }

  #sendPending(pending: { message: Outgoing; sentOn: number }): void {
    pending.sentOn = this.#generation;
    this.#sendNow(pending.message);
  }

  #sendNow(message: object): void {
    this.#current?.send(JSON.stringify(message));
  }

  #nextId(prefix: string): string {
    return `${prefix}-${++this.#counter}`;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit("state", state);
  }
}

/** The codes of a refused upgrade said in a frame (see the Worker's `refusalForBrowsers`). */
const REFUSAL_CODES: ReadonlySet<SignalingErrorCode> = new Set([
  "unauthorized",
  "forbidden",
  "origin_not_allowed",
  "too_many_connections",
  "bad_request",
]);

/** A listed peer with its meta, when the list carried one for it. */
function withMeta(peerId: string, metas: Record<string, unknown> | undefined): { peerId: string; meta?: unknown } {
  const meta = metas?.[peerId];
  return meta === undefined ? { peerId } : { peerId, meta };
}

function refusedWith(status: number): SignalingError {
  const code = REFUSED[status] ?? "forbidden";
  return new SignalingError(code, `the server refused the connection (HTTP ${status})`);
}
