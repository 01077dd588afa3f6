/** What every route of the Worker shares: the request's context, and JSON answers. */
import type { Config, Endpoint } from "../core/config/config.js";
import { MAX_ROOM_NAME_LENGTH } from "../core/config/limits.js";
import { REFUSAL_CLOSE_CODES } from "../core/wire/close-codes.js";

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
  /** Keeps the Worker alive for work after the answer (a metrics report). */
  waitUntil(promise: Promise<unknown>): void;
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

/**
 * A refusal of a WebSocket upgrade, said so that a browser can read it: browsers hide the HTTP status of a refused
 * upgrade (the page sees a bare 1006), so the socket is accepted here, in the Worker (no room is touched), told the
 * error as the protocol says errors, and closed with the status's close code. Anything else passes as it is.
 */
export async function refusalForBrowsers(response: Response): Promise<Response> {
  const code = REFUSAL_CLOSE_CODES[response.status];
  if (code === undefined) return response;
  const body = (await response.json()) as { code?: string; error?: string };
  const { 0: client, 1: server } = new WebSocketPair();
  server.accept();
  server.send(JSON.stringify({ type: "error", code: body.code ?? "refused", error: body.error ?? "refused" }));
  server.close(code, (body.code ?? "refused").slice(0, 64));
  return new Response(null, { status: 101, webSocket: client });
}
