/**
 * The Worker: routes each request, does every check that needs no room state before waking a Durable Object, and
 * forwards WebSocket upgrades to the room's object (one per room name, so rooms spread across Cloudflare).
 */
import { type Config, ConfigError, type Endpoint, readConfig } from "../core/config.js";
import { ConnectionRateLimiter } from "../core/connection-rate.js";
import { roomAllowed } from "../core/join-claims.js";
import { MAX_ROOM_NAME_LENGTH } from "../core/limits.js";
import { describeError, logEvent } from "../core/log.js";
import { DEFAULT_ROOM, isValidRoomName, SUBPROTOCOL } from "../core/protocol.js";
import { offeredProtocols, protocolProblem, tokenOf, type Verdict, verifyToken } from "./auth.js";
import { iceServersFor } from "./ice-servers.js";
import { ADDRESS_HEADER, SUBJECT_HEADER } from "./room-object.js";

export { Topics, Trackers } from "./broadcast-object.js";
export { PeerjsRooms } from "./peerjs-object.js";
export { Peers } from "./room-object.js";

interface RouteContext {
  request: Request;
  env: Env;
  config: Config;
  url: URL;
  pathname: string;
  upgrade: boolean;
  /**
   * A join token carried in the path (`/peerjs/t/<jwt>/...`), for PeerJS, whose `?token=` is its own. When set,
   * it is the only place a token is read from.
   */
  pathToken?: string;
}

/** The first route whose `match` holds answers; anything else is a static asset or a JSON 404. */
const ROUTES: Array<{ match(c: RouteContext): boolean; handle(c: RouteContext): Promise<Response> | Response }> = [
  { match: (c) => c.request.method === "OPTIONS" && !c.upgrade, handle: preflight },
  { match: (c) => c.pathname === "/health", handle: health },
  { match: (c) => c.pathname === "/ice-servers", handle: iceServers },
  { match: (c) => /^\/rooms\/[^/]+\/stats$/.test(c.pathname), handle: roomStats },
  { match: (c) => c.pathname === "/" && c.upgrade, handle: (c) => joinRoom(c, DEFAULT_ROOM) },
  { match: (c) => c.pathname.startsWith("/rooms/"), handle: (c) => joinRoom(c, safeDecode(c.pathname.slice(7))) },
  { match: (c) => c.pathname === "/y-webrtc", handle: (c) => joinTopics(c, DEFAULT_ROOM) },
  {
    match: (c) => c.pathname.startsWith("/y-webrtc/"),
    handle: (c) => joinTopics(c, safeDecode(c.pathname.slice("/y-webrtc/".length))),
  },
  { match: (c) => c.pathname.startsWith("/peerjs/"), handle: peerjs },
  { match: (c) => c.pathname === "/announce", handle: (c) => joinTracker(c, DEFAULT_ROOM) },
  {
    match: (c) => c.pathname.startsWith("/announce/"),
    handle: (c) => joinTracker(c, safeDecode(c.pathname.slice("/announce/".length))),
  },
];

export default {
  async fetch(request, env): Promise<Response> {
    try {
      const url = new URL(request.url);
      const context: RouteContext = {
        request,
        env,
        config: configOf(env),
        url,
        pathname: url.pathname,
        upgrade: request.headers.get("Upgrade")?.toLowerCase() === "websocket",
      };
      const refused = checkOrigin(context);
      if (refused) return refused;
      const route = ROUTES.find((r) => r.match(context));
      const response = await (route ? route.handle(context) : staticAsset(context));
      return withCors(context, response);
    } catch (error) {
      if (error instanceof ConfigError) {
        logEvent("error", "config_invalid", { error: error.message });
        return jsonError(500, "config_invalid", `the server is misconfigured: ${error.message}`);
      }
      logEvent("error", "request_failed", { path: new URL(request.url).pathname, error: describeError(error) });
      return jsonError(500, "internal_error", "the server failed to handle this request; try again");
    }
  },
} satisfies ExportedHandler<Env>;

const NO_STORE = { "cache-control": "no-store" };

/**
 * With `ALLOWED_ORIGINS` set, a browser request from any other origin is refused before any room is touched: a
 * page elsewhere cannot open sockets (or read answers) with its visitors' browsers. No `Origin`, no browser: it
 * passes.
 */
function checkOrigin({ request, config }: RouteContext): Response | undefined {
  const origin = request.headers.get("Origin");
  if (!config.allowedOrigins || origin === null || config.allowedOrigins.has(origin)) return undefined;
  return jsonError(403, "origin_not_allowed", `origin ${origin} is not in this server's ALLOWED_ORIGINS`);
}

/** CORS for the HTTP routes: every origin in open mode, else the requesting origin when it is allowed. */
function withCors({ request, config, upgrade }: RouteContext, response: Response): Response {
  if (upgrade || response.status === 101) return response;
  const origin = request.headers.get("Origin");
  const allow = config.allowedOrigins ? origin : "*";
  if (allow === null) return response;
  const headers = new Headers(response.headers);
  headers.set("access-control-allow-origin", allow);
  if (config.allowedOrigins) headers.append("vary", "Origin");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * A browser asks before a cross-origin GET that carries `Authorization` (a join token for `/ice-servers`). The
 * origin was checked already; `withCors` names it.
 */
function preflight(): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-methods": "GET, HEAD, OPTIONS",
      "access-control-allow-headers": "Authorization",
      "access-control-max-age": "86400",
    },
  });
}

function health({ config }: RouteContext): Response {
  return Response.json({ ok: true, service: "webrtc-signal", limits: config.limits }, { headers: NO_STORE });
}

/** STUN, and TURN credentials for this caller when TURN is configured; behind the same token check as joining. */
async function iceServers(context: RouteContext): Promise<Response> {
  const verdict = await authorize(context);
  if (verdict && !verdict.ok) return refusal(context, verdict);
  const subject = verdict?.ok ? verdict.claims.sub : undefined;
  return Response.json(await iceServersFor(context.config, subject), { headers: NO_STORE });
}

/** Admin: what one room holds and has done since it woke. Exists only when `ADMIN_TOKEN` is set. */
async function roomStats({ request, env, config, pathname }: RouteContext): Promise<Response> {
  if (config.adminToken === undefined) return notFound(pathname);
  const given =
    request.headers
      .get("Authorization")
      ?.match(/^Bearer\s+(.+)$/i)?.[1]
      ?.trim() ?? "";
  if (!(await sameSecret(given, config.adminToken))) {
    return jsonError(401, "unauthorized", "this route needs Authorization: Bearer <ADMIN_TOKEN>");
  }
  const room = safeDecode(pathname.slice("/rooms/".length, -"/stats".length));
  if (!isValidRoomName(room)) return invalidRoom();
  const stats = await env.Peers.get(env.Peers.idFromName(room)).stats();
  return Response.json({ room, ...stats }, { headers: NO_STORE });
}

async function joinRoom(context: RouteContext, room: string): Promise<Response> {
  return connect(context, "seed", room, (env) => env.Peers.get(env.Peers.idFromName(room)));
}

/**
 * y-webrtc: `signaling: ["wss://<host>/y-webrtc/<namespace>"]`. One object per namespace holds all its topics; a
 * join token's `room` claim names the namespace, and comes as `?token=` (y-webrtc opens the URL as given).
 */
async function joinTopics(context: RouteContext, namespace: string): Promise<Response> {
  return connect(context, "y-webrtc", namespace, (env) => env.Topics.get(env.Topics.idFromName(namespace)));
}

/**
 * WebSocket BitTorrent trackers, for WebTorrent and Trystero's torrent strategy: `wss://<host>/announce` (namespace
 * `default`) or `/announce/<namespace>`. A join token comes as `?token=`; its `room` claim names the namespace.
 */
async function joinTracker(context: RouteContext, namespace: string): Promise<Response> {
  return connect(context, "webtorrent", namespace, (env) => env.Trackers.get(env.Trackers.idFromName(namespace)));
}

/**
 * Every check a connection passes before it reaches its object: the name, the upgrade, the subprotocol, new
 * connections per address, the join token and its room; then what the Worker learned goes on in headers.
 */
async function connect(
  context: RouteContext,
  endpoint: Endpoint,
  room: string,
  stubOf: (env: Env) => { fetch(request: Request): Promise<Response> },
  options: { keepQueryToken?: boolean } = {},
): Promise<Response> {
  const { request, env, config, upgrade, url } = context;
  if (!config.endpoints.has(endpoint)) return endpointDisabled(endpoint);
  if (!isValidRoomName(room)) return invalidRoom();
  if (!upgrade) {
    return jsonError(426, "upgrade_required", "this is a WebSocket endpoint: connect with a WebSocket client");
  }
  if (request.method !== "GET") return jsonError(405, "method_not_allowed", "a WebSocket upgrade must be a GET");
  const badProtocol = protocolProblem(request);
  if (badProtocol) return jsonError(400, "bad_request", badProtocol);
  const address = request.headers.get("CF-Connecting-IP") ?? "";
  if (!(await mayConnect(env, config, address))) {
    logEvent("warn", "connection_rate_exceeded", { room, path: redactedPath(url) });
    return jsonError(429, "too_many_connections", "too many new connections from this address; try again in a minute", {
      "retry-after": "60",
    });
  }
  const verdict = await authorize(context);
  if (verdict && !verdict.ok) return refusal(context, verdict);
  if (verdict?.ok && !roomAllowed(verdict.claims.room, room)) {
    logEvent("info", "join_refused", { room, code: "forbidden", path: redactedPath(url) });
    return jsonError(403, "forbidden", `the token does not grant the room ${room}`);
  }
  // What the room learns from the Worker travels in headers a client cannot set: any it sent are replaced.
  const headers = new Headers(request.headers);
  headers.delete(SUBJECT_HEADER);
  headers.set(ADDRESS_HEADER, address);
  if (verdict?.ok && verdict.claims.sub !== undefined) headers.set(SUBJECT_HEADER, verdict.claims.sub);
  const forwardUrl = new URL(url);
  if (!options.keepQueryToken) forwardUrl.searchParams.delete("token");
  const response = await stubOf(env).fetch(new Request(forwardUrl, { method: "GET", headers }));
  if (response.status !== 101 || !offeredProtocols(request).includes(SUBPROTOCOL)) return response;
  // A client that offers subprotocols fails unless one is named; never the bearer one (it is the token).
  return new Response(null, {
    status: 101,
    webSocket: response.webSocket,
    headers: { "Sec-WebSocket-Protocol": SUBPROTOCOL },
  });
}

/** With join tokens configured, the verdict on the request's token; undefined in open mode. */
async function authorize({ request, config, url, pathToken }: RouteContext): Promise<Verdict | undefined> {
  if (!config.auth) return undefined;
  return verifyToken(pathToken ?? tokenOf(request, url), config.auth);
}

/**
 * PeerJS 1.5 clients, `new Peer(id, { host, port, path: "/peerjs", key })`: the WebSocket at `/peerjs/peerjs`, a
 * fresh id at `/peerjs/<key>/id`, and the peer list at `/peerjs/<key>/peers` when discovery is allowed. With join
 * tokens on, `path: "/peerjs/t/<jwt>"` carries the token (PeerJS's own `?token=` is its reconnect secret).
 */
async function peerjs(context: RouteContext): Promise<Response> {
  let segments = context.pathname.slice("/peerjs/".length).split("/");
  if (segments[0] === "t" && segments.length >= 3) {
    context.pathToken = safeDecode(segments[1] ?? "");
    segments = segments.slice(2);
  } else if (context.config.auth) {
    context.pathToken = "";
  }
  const [first = "", second] = segments;
  if (first === "peerjs" && second === undefined) {
    const key = context.url.searchParams.get("key") ?? "";
    return connect(context, "peerjs", key, (env) => env.PeerjsRooms.get(env.PeerjsRooms.idFromName(key)), {
      keepQueryToken: true,
    });
  }
  if (!context.config.endpoints.has("peerjs")) return endpointDisabled("peerjs");
  if (context.request.method !== "GET" || segments.length !== 2 || !isValidRoomName(safeDecode(first))) {
    return notFound(context.pathname);
  }
  const verdict = await authorize(context);
  if (verdict && !verdict.ok) return refusal(context, verdict);
  const key = safeDecode(first);
  if (verdict?.ok && !roomAllowed(verdict.claims.room, key)) {
    return jsonError(403, "forbidden", `the token does not grant the key ${key}`);
  }
  if (second === "id") {
    // The original answers a fresh random id as text; a token's sub is the id its holder must use.
    const id = verdict?.ok && verdict.claims.sub !== undefined ? verdict.claims.sub : crypto.randomUUID();
    return new Response(id, { headers: { "content-type": "text/html", ...NO_STORE } });
  }
  if (second === "peers") {
    if (!context.config.peerjsAllowDiscovery) {
      return jsonError(401, "discovery_disabled", "listing peers is off here (PEERJS_ALLOW_DISCOVERY)");
    }
    const ids = await context.env.PeerjsRooms.get(context.env.PeerjsRooms.idFromName(key)).peerIds();
    return Response.json(ids, { headers: NO_STORE });
  }
  return notFound(context.pathname);
}

function endpointDisabled(endpoint: Endpoint): Response {
  return jsonError(404, "endpoint_disabled", `the ${endpoint} endpoint is switched off here (ENDPOINTS)`);
}

function refusal({ url }: RouteContext, verdict: Extract<Verdict, { ok: false }>): Response {
  logEvent("info", "join_refused", { code: verdict.code, reason: verdict.error, path: redactedPath(url) });
  return jsonError(verdict.status, verdict.code, verdict.error, { "www-authenticate": "Bearer" });
}

const fallbackLimiters = new WeakMap<Config, ConnectionRateLimiter>();

/**
 * New connections per address across rooms: the rate-limiting binding `CONNECT_RATE_LIMITER` when the deployment
 * has one (counted across Cloudflare), else `NEW_CONNECTIONS_PER_IP_PER_MINUTE` counted in this isolate, else none.
 */
async function mayConnect(env: Env, config: Config, address: string): Promise<boolean> {
  const binding = env.CONNECT_RATE_LIMITER as RateLimit | undefined;
  if (binding && typeof binding.limit === "function") return (await binding.limit({ key: address })).success;
  // An unknown address (no CF-Connecting-IP: a self-hosted server with no proxy that sets it) cannot be counted.
  if (config.connectionsPerIpPerMinute === 0 || address === "") return true;
  let limiter = fallbackLimiters.get(config);
  if (!limiter) {
    limiter = new ConnectionRateLimiter(config.connectionsPerIpPerMinute);
    fallbackLimiters.set(config, limiter);
  }
  return limiter.take(address);
}

/** Compared by their digests, so that the time taken says nothing about how much of a guess was right. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all(
    [given, expected].map((text) => crypto.subtle.digest("SHA-256", encoder.encode(text))),
  );
  return crypto.subtle.timingSafeEqual(a as ArrayBuffer, b as ArrayBuffer);
}

/** A URL fit for logs: the path, and the query without any token. */
export function redactedPath(url: URL): string {
  if (!url.searchParams.has("token")) return url.pathname;
  const query = new URLSearchParams(url.search);
  query.set("token", "[redacted]");
  return `${url.pathname}?${query}`;
}

function invalidRoom(): Response {
  return jsonError(400, "invalid_room", `room name must be 1 to ${MAX_ROOM_NAME_LENGTH} of A-Z a-z 0-9 _ - .`);
}

function notFound(pathname: string): Response {
  return jsonError(
    404,
    "not_found",
    `no route for ${pathname}: connect a WebSocket to / or /rooms/<name> (or /y-webrtc, /peerjs, /announce)`,
  );
}

/** The demo page and its files; anything else is a JSON 404 that says where to connect. */
async function staticAsset({ request, env, config, pathname }: RouteContext): Promise<Response> {
  if (config.serveDemo && (request.method === "GET" || request.method === "HEAD")) {
    const asset = await env.ASSETS.fetch(request);
    if (asset.status !== 404) return asset;
  }
  return notFound(pathname);
}

const configCache = new WeakMap<Env, Config>();

/** The settings of this deployment, read once per isolate (they cannot change without a new deployment). */
function configOf(env: Env): Config {
  let config = configCache.get(env);
  if (!config) {
    config = readConfig(env);
    configCache.set(env, config);
  }
  return config;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function jsonError(status: number, code: string, error: string, headers: Record<string, string> = {}): Response {
  return Response.json({ ok: false, code, error }, { status, headers: { ...NO_STORE, ...headers } });
}
