/**
 * The one join: the checks every WebSocket connection passes in the Worker before it reaches its Durable Object,
 * whatever its protocol (the name, the upgrade, the subprotocol, new connections per address, the join token, its
 * room and its endpoint), then the upgrade forwarded to the object that holds that room, namespace or key.
 */
import { endpointAllowed, roomAllowed } from "../core/auth/join-claims.js";
import type { Config, Endpoint } from "../core/config/config.js";
import { PerAddressLimit } from "../core/connection/per-address-limit.js";
import { logEvent } from "../core/log.js";
import { isValidRoomName, SUBPROTOCOL } from "../core/wire/protocol.js";
import { offeredProtocols, protocolProblem, tokenOf, type Verdict, verifyToken } from "./auth.js";
import { clientAddress } from "./client-address.js";
import { endpoints } from "./endpoints.js";
import { endpointDisabled, invalidRoom, jsonError, type RouteContext } from "./http.js";
import { liveObjects } from "./live-objects.js";
import { ADDRESS_HEADER, NAME_HEADER, SUBJECT_HEADER } from "./signal-object.js";

/**
 * Every check a connection passes before it reaches its object; then what the Worker learned goes on in headers a
 * client cannot set. `keepQueryToken`: the query's `token` is the protocol's own (PeerJS), not a join token.
 */
export async function connect(
  context: RouteContext,
  endpoint: Endpoint,
  name: string,
  options: { keepQueryToken?: boolean } = {},
): Promise<Response> {
  const { request, env, config, upgrade, url } = context;
  if (!config.endpoints.has(endpoint)) return endpointDisabled(endpoint);
  if (!isValidRoomName(name)) return invalidRoom();
  if (!upgrade) {
    return jsonError(426, "upgrade_required", "this is a WebSocket endpoint: connect with a WebSocket client");
  }
  if (request.method !== "GET") return jsonError(405, "method_not_allowed", "a WebSocket upgrade must be a GET");
  if (liveObjects.stopping) {
    return jsonError(503, "restarting", "the server is restarting; connect again in a moment", { "retry-after": "2" });
  }
  const badProtocol = protocolProblem(request);
  if (badProtocol) return jsonError(400, "bad_request", badProtocol);
  const address = clientAddress(request, config);
  if (!(await mayConnect(env, config, address))) {
    logEvent("warn", "connection_rate_exceeded", { room: name, path: redactedPath(url) });
    return jsonError(429, "too_many_connections", "too many new connections from this address; try again in a minute", {
      "retry-after": "60",
    });
  }
  const verdict = await authorize(context);
  if (verdict && !verdict.ok) return refusal(context, verdict);
  if (verdict?.ok) {
    const ungranted = ungrantedBy(verdict, endpoint, name);
    if (ungranted) {
      logEvent("info", "join_refused", { room: name, code: "forbidden", path: redactedPath(url) });
      return jsonError(403, "forbidden", ungranted);
    }
  }
  const headers = new Headers(request.headers);
  headers.delete(SUBJECT_HEADER);
  headers.set(ADDRESS_HEADER, address);
  headers.set(NAME_HEADER, name);
  if (verdict?.ok && verdict.claims.sub !== undefined) headers.set(SUBJECT_HEADER, verdict.claims.sub);
  const forwardUrl = new URL(url);
  if (!options.keepQueryToken) forwardUrl.searchParams.delete("token");
  const namespace = env[endpoints[endpoint].binding];
  const response = await namespace
    .get(namespace.idFromName(name))
    .fetch(new Request(forwardUrl, { method: "GET", headers }));
  if (response.status !== 101 || !offeredProtocols(request).includes(SUBPROTOCOL)) return response;
  // A client that offers subprotocols fails unless one is named; never the bearer one (it is the token).
  return new Response(null, {
    status: 101,
    webSocket: response.webSocket,
    headers: { "Sec-WebSocket-Protocol": SUBPROTOCOL },
  });
}

/** Why a valid token does not open `name` on `endpoint`, or undefined when it does. */
export function ungrantedBy(
  verdict: Extract<Verdict, { ok: true }>,
  endpoint: Endpoint,
  name: string,
): string | undefined {
  if (!endpointAllowed(verdict.claims.endpoint, endpoint)) {
    return `the token does not grant the ${endpoint} endpoint (its endpoint claim must name it)`;
  }
  if (!roomAllowed(verdict.claims.room, name)) return `the token does not grant the room ${name}`;
  return undefined;
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

const fallbackLimits = new WeakMap<Config, PerAddressLimit>();

/**
 * New connections per address across rooms: the rate-limiting binding `CONNECT_RATE_LIMITER` when the deployment
 * has one (counted across Cloudflare), else `NEW_CONNECTIONS_PER_IP_PER_MINUTE` counted in this isolate, else none.
 */
export async function mayConnect(env: Env, config: Config, address: string): Promise<boolean> {
  return withinLimit(env, address, "", config.connectionsPerIpPerMinute, fallbackLimits, config);
}

/**
 * One more of something for `address` this minute, under `perMinute` (0: no limit): counted by the deployment's
 * `CONNECT_RATE_LIMITER` binding when it has one (under `prefix`, so each kind is counted apart), else in this
 * isolate. An unknown address is never counted: every such request would share one count.
 */
export async function withinLimit(
  env: Env,
  address: string,
  prefix: string,
  perMinute: number,
  fallbacks: WeakMap<Config, PerAddressLimit>,
  config: Config,
): Promise<boolean> {
  if (address === "") return true;
  const binding = env.CONNECT_RATE_LIMITER as RateLimit | undefined;
  if (binding && typeof binding.limit === "function") return (await binding.limit({ key: prefix + address })).success;
  if (perMinute === 0) return true;
  let limit = fallbacks.get(config);
  if (!limit) {
    limit = new PerAddressLimit(perMinute);
    fallbacks.set(config, limit);
  }
  return limit.take(address);
}

/** A URL fit for logs: the path without a PeerJS path token, and the query without any token. */
export function redactedPath(url: URL): string {
  const path = url.pathname.replace(/^\/peerjs\/t\/[^/]*/, "/peerjs/t/[redacted]");
  if (!url.searchParams.has("token")) return path;
  const query = new URLSearchParams(url.search);
  query.set("token", "[redacted]");
  return `${path}?${query}`;
}
