/**
 * The admin routes, which exist only when `ADMIN_TOKEN` is set: one room's stats, and (on the self-hosted server,
 * where `SHUTDOWN_SECRET` is bound) the shutdown that closes every socket before the process stops. A wrong token
 * is compared in constant time and counted: an address past `ADMIN_FAILURES_PER_MINUTE` is refused for the minute.
 */
import type { Config } from "../core/config/config.js";
import { PerAddressLimit } from "../core/connection/per-address-limit.js";
import { logEvent } from "../core/log.js";
import { CLOSE_SERVICE_RESTART } from "../core/wire/close-codes.js";
import { isValidRoomName } from "../core/wire/protocol.js";
import { clientAddress } from "./client-address.js";
import { endpoints } from "./endpoints.js";
import { invalidRoom, jsonError, NO_STORE, notFound, type RouteContext, safeDecode } from "./http.js";
import { hasShutdownRoute, liveObjects } from "./live-objects.js";
import { placedStub } from "./placement.js";

/** Failed admin tokens one address may send per minute, counted in this isolate. */
export const ADMIN_FAILURES_PER_MINUTE = 10;

const failures = new WeakMap<Config, PerAddressLimit>();

/**
 * `GET /health`: `{ok: true}` for anyone (a load balancer's or an uptime check's); with `Authorization: Bearer
 * <ADMIN_TOKEN>`, the limits and endpoints in force too, which tell a stranger how to size an attack.
 */
export async function health(context: RouteContext): Promise<Response> {
  const { config, request } = context;
  const base = { ok: true, service: "webrtc-signal" };
  if (config.adminToken === undefined || !request.headers.has("Authorization")) {
    return Response.json(base, { headers: NO_STORE });
  }
  const denied = await deniedAdmin(context, config.adminToken, "ADMIN_TOKEN");
  if (denied) return denied;
  return Response.json({ ...base, limits: config.limits, endpoints: [...config.endpoints] }, { headers: NO_STORE });
}

/** `GET /rooms/<name>/stats`: what one room holds and has done since it woke. */
export async function roomStats(context: RouteContext): Promise<Response> {
  const { env, config, pathname } = context;
  if (config.adminToken === undefined) return notFound(pathname);
  const denied = await deniedAdmin(context, config.adminToken, "ADMIN_TOKEN");
  if (denied) return denied;
  const room = safeDecode(pathname.slice("/rooms/".length, -"/stats".length));
  if (!isValidRoomName(room)) return invalidRoom();
  const stats = await placedStub(env.Peers, room, config).stats();
  return Response.json({ room, ...stats }, { headers: NO_STORE });
}

/**
 * `POST /admin/shutdown`, for `npm run serve` alone: every object holding sockets closes them with 1012, each peer
 * held for its client to resume, so that the process can exit at once and a new one take over the port.
 */
export async function shutdown(context: RouteContext): Promise<Response> {
  const { env, request, pathname } = context;
  const secret = env.SHUTDOWN_SECRET;
  if (typeof secret !== "string" || !hasShutdownRoute(env) || request.method !== "POST") return notFound(pathname);
  const denied = await deniedAdmin(context, secret, "SHUTDOWN_SECRET");
  if (denied) return denied;
  liveObjects.stop();
  const bindings = Object.fromEntries(Object.values(endpoints).map((e) => [e.binding, env[e.binding]]));
  const closed = await Promise.allSettled(
    liveObjects.all().map(({ binding, id }) => {
      const namespace = bindings[binding];
      if (!namespace) return Promise.resolve(0);
      return namespace.get(namespace.idFromString(id)).shutdown(CLOSE_SERVICE_RESTART, "server restarting");
    }),
  );
  const sockets = closed.reduce((sum, r) => sum + (r.status === "fulfilled" ? r.value : 0), 0);
  logEvent("info", "server_shutdown", { objects: closed.length, sockets });
  return Response.json({ ok: true, objects: closed.length, sockets }, { headers: NO_STORE });
}

/** Undefined when the request carries `Authorization: Bearer <expected>`; else the answer that refuses it. */
export async function deniedAdmin(
  context: RouteContext,
  expected: string,
  name: string,
): Promise<Response | undefined> {
  const { request, config } = context;
  const address = clientAddress(request, config);
  let limit = failures.get(config);
  if (!limit) {
    limit = new PerAddressLimit(ADMIN_FAILURES_PER_MINUTE);
    failures.set(config, limit);
  }
  if (limit.used(address) >= ADMIN_FAILURES_PER_MINUTE) {
    return jsonError(429, "too_many_failures", "too many wrong admin tokens from this address; try again in a minute", {
      "retry-after": "60",
    });
  }
  const given =
    request.headers
      .get("Authorization")
      ?.match(/^Bearer\s+(.+)$/i)?.[1]
      ?.trim() ?? "";
  if (await sameSecret(given, expected)) return undefined;
  limit.take(address);
  logEvent("warn", "admin_refused", { path: context.pathname });
  return jsonError(401, "unauthorized", `this route needs Authorization: Bearer <${name}>`);
}

/** Compared by their digests, so that the time taken says nothing about how much of a guess was right. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all(
    [given, expected].map((text) => crypto.subtle.digest("SHA-256", encoder.encode(text))),
  );
  return crypto.subtle.timingSafeEqual(a as ArrayBuffer, b as ArrayBuffer);
}
