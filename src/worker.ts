/**
 * The Worker: routes each request, does every check that needs no room state before waking a Durable Object, and
 * forwards WebSocket upgrades to the room's object (one per room name, so rooms spread across Cloudflare).
 */
import { readIceServers } from "./ice-servers.js";
import { type Limits, LimitsConfigError, MAX_ROOM_NAME_LENGTH, readLimits } from "./limits.js";
import { logEvent } from "./log.js";
import { DEFAULT_ROOM, isValidRoomName } from "./protocol.js";

export { Peers } from "./peers.js";

export default {
  async fetch(request, env): Promise<Response> {
    try {
      return await route(request, env, limitsOf(env));
    } catch (error) {
      if (error instanceof LimitsConfigError) {
        logEvent("error", "config_invalid", { error: error.message });
        return jsonError(500, "config_invalid", `the server is misconfigured: ${error.message}`);
      }
      logEvent("error", "request_failed", { path: new URL(request.url).pathname, error: String(error) });
      return jsonError(500, "internal_error", "the server failed to handle this request; try again");
    }
  },
} satisfies ExportedHandler<Env>;

async function route(request: Request, env: Env, limits: Limits): Promise<Response> {
  const { pathname } = new URL(request.url);
  const upgrade = request.headers.get("Upgrade")?.toLowerCase() === "websocket";

  if (pathname === "/ice-servers") {
    return Response.json(
      { iceServers: readIceServers(env) },
      { headers: { "access-control-allow-origin": "*", "cache-control": "no-store" } },
    );
  }
  if (pathname === "/health") {
    return Response.json(
      { ok: true, service: "webrtc-signal", limits },
      { headers: { "access-control-allow-origin": "*", "cache-control": "no-store" } },
    );
  }
  let room: string | undefined;
  if (pathname === "/" && upgrade) room = DEFAULT_ROOM;
  else if (pathname.startsWith("/rooms/")) room = safeDecode(pathname.slice("/rooms/".length));
  if (room === undefined) return staticAsset(request, env, pathname);

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
async function staticAsset(request: Request, env: Env, pathname: string): Promise<Response> {
  if (request.method === "GET" || request.method === "HEAD") {
    const asset = await env.ASSETS.fetch(request);
    if (asset.status !== 404) return asset;
  }
  return jsonError(404, "not_found", `no route for ${pathname}: connect a WebSocket to / or /rooms/<name>`);
}

const limitsCache = new WeakMap<Env, Limits>();

/** The limits for this deployment, read once per isolate (vars cannot change without a new deployment). */
function limitsOf(env: Env): Limits {
  let limits = limitsCache.get(env);
  if (!limits) {
    limits = readLimits(env);
    limitsCache.set(env, limits);
  }
  return limits;
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
