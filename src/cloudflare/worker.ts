/**
 * The Worker: routes each request, does every check that needs no room state before waking a Durable Object, and
 * forwards WebSocket upgrades to the room's object (one per room name, so rooms spread across Cloudflare).
 */
import { type Config, ConfigError, readConfig } from "../core/config.js";
import { MAX_ROOM_NAME_LENGTH } from "../core/limits.js";
import { describeError, logEvent } from "../core/log.js";
import { DEFAULT_ROOM, isValidRoomName } from "../core/protocol.js";

export { Peers } from "./room-object.js";

interface RouteContext {
  request: Request;
  env: Env;
  config: Config;
  pathname: string;
  upgrade: boolean;
}

/** The first route whose `match` holds answers; anything else is a static asset or a JSON 404. */
const ROUTES: Array<{ match(c: RouteContext): boolean; handle(c: RouteContext): Promise<Response> | Response }> = [
  { match: (c) => c.pathname === "/health", handle: health },
  { match: (c) => c.pathname === "/ice-servers", handle: iceServers },
  { match: (c) => c.pathname === "/" && c.upgrade, handle: (c) => joinRoom(c, DEFAULT_ROOM) },
  { match: (c) => c.pathname.startsWith("/rooms/"), handle: (c) => joinRoom(c, safeDecode(c.pathname.slice(7))) },
];

export default {
  async fetch(request, env): Promise<Response> {
    try {
      const context: RouteContext = {
        request,
        env,
        config: configOf(env),
        pathname: new URL(request.url).pathname,
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

function health({ config }: RouteContext): Response {
  return Response.json({ ok: true, service: "webrtc-signal", limits: config.limits }, { headers: NO_STORE });
}

function iceServers({ config }: RouteContext): Response {
  return Response.json({ iceServers: config.iceServers }, { headers: NO_STORE });
}

function joinRoom({ request, env, upgrade }: RouteContext, room: string): Promise<Response> | Response {
  if (!isValidRoomName(room)) {
    return jsonError(400, "invalid_room", `room name must be 1 to ${MAX_ROOM_NAME_LENGTH} of A-Z a-z 0-9 _ - .`);
  }
  if (!upgrade) {
    return jsonError(426, "upgrade_required", "this is a WebSocket endpoint: connect with a WebSocket client");
  }
  if (request.method !== "GET") return jsonError(405, "method_not_allowed", "a WebSocket upgrade must be a GET");
  return env.Peers.get(env.Peers.idFromName(room)).fetch(request);
}

/** The demo page and its files; anything else is a JSON 404 that says where to connect. */
async function staticAsset({ request, env, pathname }: RouteContext): Promise<Response> {
  if (request.method === "GET" || request.method === "HEAD") {
    const asset = await env.ASSETS.fetch(request);
    if (asset.status !== 404) return asset;
  }
  return jsonError(404, "not_found", `no route for ${pathname}: connect a WebSocket to / or /rooms/<name>`);
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

function jsonError(status: number, code: string, error: string): Response {
  return Response.json({ ok: false, code, error }, { status, headers: { "cache-control": "no-store" } });
}
