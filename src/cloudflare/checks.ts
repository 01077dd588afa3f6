/**
 * The checks of a request that need no room, shared by the join and the HTTP routes: the join token and what it
 * grants, and so many of something per address per minute; and what a logged path may show.
 */
import { endpointAllowed, roomAllowed } from "../core/auth/join-claims.js";
import type { Config, Endpoint } from "../core/config/config.js";
import { PerAddressLimit } from "../core/connection/per-address-limit.js";
import { lobbyOfRoom } from "../core/lobby/lobby-name.js";
import { logEvent } from "../core/log.js";
import { tokenOf, type Verdict, verifyToken } from "./auth.js";
import { jsonError, type RouteContext } from "./http.js";

/** Why a valid token does not open `name` on `endpoint`, or undefined when it does. */
export function ungrantedBy(
  verdict: Extract<Verdict, { ok: true }>,
  endpoint: Endpoint,
  name: string,
): string | undefined {
  if (!endpointAllowed(verdict.claims.endpoint, endpoint)) {
    return `the token does not grant the ${endpoint} endpoint (its endpoint claim must name it)`;
  }
  if (roomAllowed(verdict.claims.room, name)) return undefined;
  // A room a lobby gave out is granted by a token that opens that lobby.
  const lobby = endpoint === "seed" ? lobbyOfRoom(name) : undefined;
  if (
    lobby !== undefined &&
    endpointAllowed(verdict.claims.endpoint, "lobby") &&
    roomAllowed(verdict.claims.room, lobby)
  ) {
    return undefined;
  }
  return `the token does not grant the room ${name}`;
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
