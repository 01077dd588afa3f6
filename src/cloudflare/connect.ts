/**
 * The checks every WebSocket connection passes in the Worker before it reaches its Durable Object, whatever its
 * protocol: the name, the upgrade, the subprotocol, new connections per address, the join token and its room.
 */

import { roomAllowed } from "../core/auth/join-claims.js";
import type { Config, Endpoint } from "../core/config/config.js";
import { ConnectionRateLimiter } from "../core/connection/connection-rate.js";
import { logEvent } from "../core/log.js";
import { isValidRoomName, SUBPROTOCOL } from "../core/wire/protocol.js";
import { offeredProtocols, protocolProblem, tokenOf, type Verdict, verifyToken } from "./auth.js";
import { endpointDisabled, invalidRoom, jsonError, type RouteContext } from "./http.js";
import { ADDRESS_HEADER, NAME_HEADER, SUBJECT_HEADER } from "./signal-object.js";

/**
 * Every check a connection passes before it reaches its object: the name, the upgrade, the subprotocol, new
 * connections per address, the join token and its room; then what the Worker learned goes on in headers.
 */
export async function connect(
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
  // What the room learns from the Worker travels in headers a client cannot set: whatever it sent is replaced.
  const headers = new Headers(request.headers);
  headers.delete(SUBJECT_HEADER);
  headers.set(ADDRESS_HEADER, address);
  headers.set(NAME_HEADER, room);
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
export async function authorize({ request, config, url, pathToken }: RouteContext): Promise<Verdict | undefined> {
  if (!config.auth) return undefined;
  return verifyToken(pathToken ?? tokenOf(request, url), config.auth);
}

export function refusal({ url }: RouteContext, verdict: Extract<Verdict, { ok: false }>): Response {
  logEvent("info", "join_refused", { code: verdict.code, reason: verdict.error, path: redactedPath(url) });
  return jsonError(verdict.status, verdict.code, verdict.error, { "www-authenticate": "Bearer" });
}

export const fallbackLimiters = new WeakMap<Config, ConnectionRateLimiter>();

/**
 * New connections per address across rooms: the rate-limiting binding `CONNECT_RATE_LIMITER` when the deployment
 * has one (counted across Cloudflare), else `NEW_CONNECTIONS_PER_IP_PER_MINUTE` counted in this isolate, else none.
 */
export async function mayConnect(env: Env, config: Config, address: string): Promise<boolean> {
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

/** A URL fit for logs: the path, and the query without any token. */
export function redactedPath(url: URL): string {
  if (!url.searchParams.has("token")) return url.pathname;
  const query = new URLSearchParams(url.search);
  query.set("token", "[redacted]");
  return `${url.pathname}?${query}`;
}
