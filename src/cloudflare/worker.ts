/**
 * The Worker: routes each request, does every check that needs no room state before waking a Durable Object, and
 * forwards WebSocket upgrades to the room's object (one per room name, so rooms spread across Cloudflare).
 */
import { type Config, ConfigError, readConfig } from "../core/config/config.js";
import { describeError, logEvent } from "../core/log.js";
import { DEFAULT_ROOM, isValidRoomName } from "../core/wire/protocol.js";
import { authorize, connect, refusal } from "./connect.js";
import { invalidRoom, jsonError, NO_STORE, notFound, type RouteContext, safeDecode } from "./http.js";
import { iceServersFor } from "./ice-servers.js";
import { peerjs } from "./peerjs-routes.js";

export { PeerjsRooms, Peers, Topics, Trackers } from "./objects.js";

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

/** Compared by their digests, so that the time taken says nothing about how much of a guess was right. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all(
    [given, expected].map((text) => crypto.subtle.digest("SHA-256", encoder.encode(text))),
  );
  return crypto.subtle.timingSafeEqual(a as ArrayBuffer, b as ArrayBuffer);
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
