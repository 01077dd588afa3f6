/**
 * The Worker: routes each request, does every check that needs no room state before waking a Durable Object, and
 * forwards WebSocket upgrades to the object of their room (one per name, so rooms spread across Cloudflare).
 */
import { type Config, ConfigError, type Endpoint, readConfig } from "../core/config/config.js";
import { isValidLobbyName, lobbyObjectName, lobbySize, MAX_LOBBY_NAME_LENGTH } from "../core/lobby/lobby-name.js";
import { describeError, logEvent } from "../core/log.js";
import { DEFAULT_ROOM } from "../core/wire/protocol.js";
import { health, roomStats, shutdown } from "./admin.js";
import { connect } from "./connect.js";
import { jsonError, notFound, type RouteContext, refusalForBrowsers, safeDecode } from "./http.js";
import { iceServers } from "./ice-servers.js";
import { adminPage, countRefusal, metrics, overview, reportRefusals } from "./metrics-routes.js";
import { peerjs } from "./peerjs-routes.js";

export { Directory } from "./directory-object.js";
export { Lobbies, PeerjsRooms, Peers, Topics, Trackers } from "./objects.js";

type Route = {
  match(c: RouteContext): boolean;
  handle(c: RouteContext): Promise<Response> | Response;
  /** The seed protocol's WebSocket, whose clients (the SDK) read a refusal said in a frame. */
  seed?: true;
  /** The endpoint a WebSocket route joins, for the refusals counted in `/metrics`. */
  endpoint?: Endpoint;
};

/**
 * An endpoint served under `base`: `base/<name>` joins the room or namespace named, and `base` alone the one named
 * `default` when `bare` (the seed protocol's is `/`, and `/rooms` lists nothing). Every endpoint is the same join
 * (connect.ts) over its own object class.
 */
function endpointRoute(endpoint: Endpoint, base: string, bare: boolean): Route {
  return {
    ...(endpoint === "seed" ? { seed: true as const } : {}),
    endpoint,
    match: (c) => (bare && c.pathname === base) || c.pathname.startsWith(`${base}/`),
    handle: (c) =>
      connect(c, endpoint, c.pathname === base ? DEFAULT_ROOM : safeDecode(c.pathname.slice(base.length + 1))),
  };
}

/** The first route whose `match` holds answers; anything else is a static asset or a JSON 404. */
const ROUTES: Route[] = [
  { match: (c) => c.request.method === "OPTIONS" && !c.upgrade, handle: preflight },
  { match: (c) => c.pathname === "/health", handle: health },
  { match: (c) => c.pathname === "/ice-servers", handle: iceServers },
  { match: (c) => /^\/rooms\/[^/]+\/stats$/.test(c.pathname), handle: roomStats },
  { match: (c) => c.pathname === "/admin/shutdown", handle: shutdown },
  { match: (c) => c.pathname === "/metrics", handle: metrics },
  { match: (c) => c.pathname === "/admin/overview", handle: overview },
  { match: (c) => c.pathname === "/admin" || c.pathname.startsWith("/admin/"), handle: adminPage },
  // The seed protocol: `/` (the room `default`, for a WebSocket; the demo page otherwise) and `/rooms/<name>`.
  {
    match: (c) => c.pathname === "/" && c.upgrade,
    handle: (c) => connect(c, "seed", DEFAULT_ROOM),
    seed: true,
    endpoint: "seed",
  },
  endpointRoute("seed", "/rooms", false),
  // y-webrtc: `signaling: ["wss://<host>/y-webrtc/<namespace>"]`; a join token comes as `?token=`.
  endpointRoute("y-webrtc", "/y-webrtc", true),
  // WebSocket trackers (WebTorrent, Trystero's torrent strategy): `wss://<host>/announce/<namespace>`.
  endpointRoute("webtorrent", "/announce", true),
  { match: (c) => c.pathname.startsWith("/peerjs/"), handle: peerjs, endpoint: "peerjs" },
  // Lobbies that match players: `wss://<host>/lobbies/<name>?size=N` answers `matched {room}` once N are there.
  { match: (c) => c.pathname.startsWith("/lobbies/"), handle: lobby, endpoint: "lobby" },
];

function lobby(c: RouteContext): Promise<Response> | Response {
  const name = safeDecode(c.pathname.slice("/lobbies/".length));
  if (!isValidLobbyName(name)) {
    const text = `a lobby name is 1 to ${MAX_LOBBY_NAME_LENGTH} of A-Z a-z 0-9 _ - .`;
    return jsonError(400, "invalid_room", text);
  }
  const size = lobbySize(c.url.searchParams.get("size"));
  if (typeof size === "string") return jsonError(400, "bad_request", size);
  return connect(c, "lobby", lobbyObjectName(name, size), { grantedAs: name });
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    let context: RouteContext | undefined;
    try {
      const url = new URL(request.url);
      const here: RouteContext = {
        request,
        env,
        config: configOf(env),
        url,
        pathname: url.pathname,
        upgrade: request.headers.get("Upgrade")?.toLowerCase() === "websocket",
        waitUntil: (promise) => ctx.waitUntil(promise),
      };
      context = here;
      const route = ROUTES.find((r) => r.match(here));
      const response = checkOrigin(here, route) ?? (await (route ? route.handle(here) : staticAsset(here)));
      // The SDK in a browser learns why its upgrade was refused, and whether trying again can help.
      if (here.upgrade && route?.seed && request.headers.has("Origin")) return await refusalForBrowsers(response);
      return withCors(here, response);
    } catch (error) {
      if (error instanceof ConfigError) {
        logEvent("error", "config_invalid", { error: error.message });
        return jsonError(500, "config_invalid", `the server is misconfigured: ${error.message}`);
      }
      logEvent("error", "request_failed", { path: new URL(request.url).pathname, error: describeError(error) });
      return jsonError(500, "internal_error", "the server failed to handle this request; try again");
    } finally {
      if (context) reportRefusals(context);
    }
  },
} satisfies ExportedHandler<Env>;

/**
 * With `ALLOWED_ORIGINS` set, a browser request from any other origin is refused before any room is touched: a
 * page elsewhere cannot open sockets (or read answers) with its visitors' browsers. No `Origin`, no browser: it
 * passes.
 */
function checkOrigin(context: RouteContext, route: Route | undefined): Response | undefined {
  const { request, config } = context;
  const origin = request.headers.get("Origin");
  if (!config.allowedOrigins || origin === null || config.allowedOrigins.has(origin)) return undefined;
  if (context.upgrade && route?.endpoint) countRefusal(context, route.endpoint, "origin");
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

/** The demo page and its files; anything else is a JSON 404 that says where to connect. */
async function staticAsset({ request, env, config, pathname }: RouteContext): Promise<Response> {
  if (config.serveDemo && !pathname.startsWith("/admin/") && (request.method === "GET" || request.method === "HEAD")) {
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
