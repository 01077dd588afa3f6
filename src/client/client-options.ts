/** The signaling client's options, and their defaults. */
import { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.js";
import type { WebSocketConstructor } from "./websocket.js";

export interface SignalingClientOptions {
  /** The server, e.g. `wss://signal.example.com` (http(s) URLs are turned into ws(s)). */
  url: string;
  /** The room to join; the server's `default` room when omitted. */
  room?: string;
  peerId: string;
  /** Receive `peer-joined` and `peer-left`. */
  presence?: boolean;
  /**
   * What other peers see of this one beside its id: any JSON value, small (the server's `MAX_META_BYTES`, 1 KiB by
   * default). Sent with every registration, carried in `peer-joined` and in `registered.peer_meta`. The server can
   * read it (it is what presence and lobbies show), even when signals are end-to-end encrypted.
   */
  meta?: unknown;
  /**
   * Ask for the other peers' `meta` with every registration (`registered.peer_meta`). Off by default: in a large
   * room that list is large, and the server charges it against the client's rate (one message per 10 metas).
   */
  withMeta?: boolean;
  /**
   * A resume token from an earlier session of this peer id (say, kept in `sessionStorage` across a reload): the
   * first registration takes the id back if the server still holds it. Without one the client draws its own (128
   * random bits), which the server takes as the id's token: a first registration whose answer was lost in a drop
   * or a server crash is then made again with it, never met as "taken". The client keeps the newest token itself.
   */
  resumeToken?: string;
  /**
   * A join token, when the server asks for one: the string, or a function that fetches a fresh one from your
   * backend, called before every connection and reconnection. Sent as the WebSocket subprotocol `bearer.<token>`
   * (beside `webrtc-signal`), which keeps it out of URLs and their logs.
   */
  token?: string | (() => string | Promise<string>);
  /** A WebSocket constructor; defaults to the global one (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  /** How often to send a keepalive ping, in ms. */
  keepaliveMs?: number;
  /** A connection whose pong has not come back this long after a ping is taken as dead, in ms. */
  pongTimeoutMs?: number;
  /**
   * How long an attempt may take from opening the socket to being registered, in ms. A server that accepts the
   * socket but never answers counts as a failed attempt: the client backs off and tries again.
   */
  connectTimeoutMs?: number;
  /** How long a request waits for its answer, in ms. */
  requestTimeoutMs?: number;
  /**
   * How many relays may wait for the server to acknowledge them: sent on a connection that may have died with them
   * in flight, or waiting for the next one. Past it `relay()` throws `queue_full`.
   */
  maxQueue?: number;
}

export type ResolvedOptions = Required<
  Omit<SignalingClientOptions, "room" | "WebSocket" | "resumeToken" | "token" | "meta">
> & {
  WebSocket: WebSocketConstructor;
  token: SignalingClientOptions["token"];
  meta: unknown;
};

export function resolveOptions(options: SignalingClientOptions): ResolvedOptions {
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl) {
    throw new Error("no WebSocket implementation: pass options.WebSocket (on Node 20, the `ws` package's)");
  }
  return {
    url: options.url,
    peerId: options.peerId,
    WebSocket: WebSocketImpl,
    token: options.token,
    meta: options.meta,
    withMeta: options.withMeta ?? false,
    presence: options.presence ?? false,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    keepaliveMs: options.keepaliveMs ?? 25_000,
    pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    maxQueue: options.maxQueue ?? 256,
  };
}
