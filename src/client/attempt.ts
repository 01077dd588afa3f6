/**
 * One attempt at a connection: a WebSocket opened with the join token beside the subprotocol, its keepalive, and
 * the deadline by which it must be registered. Once it is abandoned nothing it hears reaches the client, so a late
 * close or message of an old socket cannot disturb the next attempt.
 */
import { CLOSE_SERVICE_RESTART, REFUSAL_CLOSE_CODES, refusalStatusOf } from "../core/wire/close-codes.js";
import { CLOSE_REPLACED, PING_TEXT, SUBPROTOCOL } from "../core/wire/protocol.js";
import type { ResolvedOptions } from "./client-options.js";
import { Keepalive } from "./keepalive.js";
import type { WebSocketLike } from "./websocket.js";

/**
 * How a connection ended: dropped (its network, silence, no registration in time), the server restarting, or the
 * upgrade refused with an HTTP status. A browser cannot read a refused upgrade's status, so the server says it in
 * the close code (4000 plus the status, see REFUSAL_CLOSE_CODES); Node's `ws` says it in its error.
 */
export type Loss = { kind: "dropped" } | { kind: "restarting" } | { kind: "refused"; status: number };

export interface AttemptEvents {
  /** The socket opened: time to register. */
  open(): void;
  message(data: unknown): void;
  /** The socket closed or went silent, it was not registered in time, no join token came, or it was refused. */
  lost(loss: Loss): void;
  /** Another connection took the peer id over with its resume token. */
  replaced(): void;
  /** The `token` function failed (`lost` follows). */
  tokenFailed(why: string): void;
}

export class Attempt {
  #socket: WebSocketLike | undefined;
  #over = false;
  /** The HTTP status of a refused upgrade, as the `ws` package reports it. */
  #refusedWith: number | undefined;
  readonly #keepalive: Keepalive;
  readonly #deadline: ReturnType<typeof setTimeout>;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly url: string,
    private readonly events: AttemptEvents,
  ) {
    this.#keepalive = new Keepalive(options.keepaliveMs, options.pongTimeoutMs);
    // An attempt that is not registered in time failed, however far it got: a socket that opens but is never
    // answered would otherwise leave connect() pending for good.
    this.#deadline = setTimeout(() => this.#lose(), options.connectTimeoutMs);
    const token = options.token;
    if (typeof token !== "function") {
      this.#open(token);
      return;
    }
    // A fresh token for every attempt: the last one may have expired while the client was away.
    Promise.resolve()
      .then(token)
      .then(
        (fresh) => {
          if (!this.#over) this.#open(fresh);
        },
        (error: unknown) => {
          if (this.#over) return;
          events.tokenFailed(error instanceof Error ? error.message : String(error));
          this.#lose();
        },
      );
  }

  /** Whether its socket exists yet (it waits for the join token first). */
  get started(): boolean {
    return this.#socket !== undefined;
  }

  /** Registered in time: the deadline no longer applies. */
  registered(): void {
    clearTimeout(this.#deadline);
  }

  /** A sign that the connection is alive (an answer to a request or a ping). */
  pong(): void {
    this.#keepalive.pong();
  }

  send(text: string): void {
    try {
      this.#socket?.send(text);
    } catch {
      // The socket is going away; its close event says so.
    }
  }

  /**
   * Ends the attempt without waiting for a dead TCP connection. Any code but a goodbye's (1000) lets the server
   * hold the peer id for the reconnect that follows.
   */
  abandon(code = 4000, reason = "reconnecting"): void {
    this.#over = true;
    this.#keepalive.stop();
    clearTimeout(this.#deadline);
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    // Closing a socket that is still connecting reports an error (the `ws` package throws it if unheard).
    socket.onerror = () => {};
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  #open(token: string | undefined): void {
    const ws = token
      ? new this.options.WebSocket(this.url, [SUBPROTOCOL, `bearer.${token}`])
      : new this.options.WebSocket(this.url);
    this.#socket = ws;
    ws.onopen = () => {
      if (this.#over) return;
      this.events.open();
      this.#keepalive.start(
        () => this.send(PING_TEXT),
        () => this.#lose(),
      );
    };
    ws.onmessage = (event) => {
      if (!this.#over) this.events.message(event.data);
    };
    ws.onclose = (event) => {
      if (this.#over) return;
      if (event.code === CLOSE_REPLACED) this.events.replaced();
      else this.#lose(lossOf(event.code, this.#refusedWith));
    };
    ws.onerror = (event) => {
      // A close event follows; it decides what to do. `ws` names a refused upgrade's status here.
      const message = (event as { message?: unknown } | undefined)?.message;
      const status = typeof message === "string" ? /Unexpected server response: (\d{3})/.exec(message)?.[1] : undefined;
      if (status !== undefined) this.#refusedWith = Number(status);
    };
  }

  #lose(loss: Loss = { kind: "dropped" }): void {
    if (!this.#over) this.events.lost(loss);
  }
}

function lossOf(code: number, refusedWith: number | undefined): Loss {
  if (code === CLOSE_SERVICE_RESTART || refusedWith === 503) return { kind: "restarting" };
  const status = refusalStatusOf(code) ?? refusedWith;
  // Only the server's own refusals are; a 502 or 504 (a proxy in front of a server that is restarting) will pass.
  if (status !== undefined && status in REFUSAL_CLOSE_CODES) return { kind: "refused", status };
  return { kind: "dropped" };
}
