/** What every route of the Worker shares: the request's context, and JSON answers. */
import type { Config, Endpoint } from "../core/config/config.js";
import { MAX_ROOM_NAME_LENGTH } from "../core/config/limits.js";

export interface RouteContext {
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

export const NO_STORE = { "cache-control": "no-store" };

export function endpointDisabled(endpoint: Endpoint): Response {
  return jsonError(404, "endpoint_disabled", `the ${endpoint} endpoint is switched off here (ENDPOINTS)`);
}

export function invalidRoom(): Response {
  return jsonError(400, "invalid_room", `room name must be 1 to ${MAX_ROOM_NAME_LENGTH} of A-Z a-z 0-9 _ - .`);
}

export function notFound(pathname: string): Response {
  return jsonError(
    404,
    "not_found",
    `no route for ${pathname}: connect a WebSocket to / or /rooms/<name> (or /y-webrtc, /peerjs, /announce)`,
  );
}

export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function jsonError(status: number, code: string, error: string, headers: Record<string, string> = {}): Response {
  return Response.json({ ok: false, code, error }, { status, headers: { ...NO_STORE, ...headers } });
}
