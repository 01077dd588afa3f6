/**
 * `/metrics` (Prometheus), `/admin` (the live page) and `/admin/overview` (what the page reads), each behind
 * `ADMIN_TOKEN`; and the refusals the Worker itself makes before any room (origin, token, address rate, a bad
 * request), counted in this isolate and reported to the directory at most once per interval, with the next request
 * that comes after it (a Worker has no alarm): a flood of refusals costs at most one directory request per
 * isolate per interval.
 */
import type { Endpoint } from "../core/config/config.js";
import { Meter, type RefusalReason } from "../core/metrics/meter.js";
import { deniedAdmin } from "./admin.js";
import { DIRECTORY_NAME, reportToDirectory } from "./directory-object.js";
import { jsonError, NO_STORE, notFound, type RouteContext } from "./http.js";
import { placedStub } from "./placement.js";

/** The Worker's own refusals by endpoint, since this isolate last reported. */
const refused = new Map<Endpoint, Meter>();
let lastReport = 0;
/** This isolate's name as a source (random values cannot be made at a module's top level). */
let isolate: string | undefined;

/** A connection to `endpoint` refused in the Worker, for `signal_refusals_total{reason}`. */
export function countRefusal(context: RouteContext, endpoint: Endpoint, reason: RefusalReason): void {
  if (!context.config.metrics) return;
  let meter = refused.get(endpoint);
  if (!meter) {
    meter = new Meter();
    refused.set(endpoint, meter);
  }
  meter.refusal(reason);
}

/** After each request: what this isolate refused goes to the directory, at most once per interval. */
export function reportRefusals(context: RouteContext): void {
  const { config, env } = context;
  if (!config.metrics || refused.size === 0) return;
  const now = Date.now();
  if (now - lastReport < config.metricsIntervalMs) return;
  lastReport = now;
  isolate ??= crypto.randomUUID();
  for (const [endpoint, meter] of refused) {
    const counters = meter.take();
    context.waitUntil(
      reportToDirectory(env, config, { source: `worker:${isolate}`, endpoint, name: "", counters, at: now }),
    );
  }
  refused.clear();
}

/**
 * Why `/metrics` or `/admin/overview` is not answered, or undefined when it is: no such route without
 * `ADMIN_TOKEN`, 401 without it (counted like every wrong admin token), 404 `metrics_off` while rooms do not report.
 */
async function refusedMetrics(context: RouteContext): Promise<Response | undefined> {
  const { config, pathname } = context;
  if (config.adminToken === undefined) return notFound(pathname);
  const denied = await deniedAdmin(context, config.adminToken, "ADMIN_TOKEN");
  if (denied) return denied;
  if (config.metrics) return undefined;
  const text =
    "metrics are off here: set METRICS = on (each awake room then reports at most every METRICS_INTERVAL_SECONDS, a Durable Object request and a row written each; see docs/operations.md)";
  return jsonError(404, "metrics_off", text);
}

/** `GET /metrics`: every room's gauges and counts, in the Prometheus text format. */
export async function metrics(context: RouteContext): Promise<Response> {
  const refused = await refusedMetrics(context);
  if (refused) return refused;
  const text = await directory(context).render([...context.config.endpoints]);
  return new Response(text, { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", ...NO_STORE } });
}

/** `GET /admin/overview`: what the admin page shows, as JSON. */
export async function overview(context: RouteContext): Promise<Response> {
  const refused = await refusedMetrics(context);
  if (refused) return refused;
  const view = await directory(context).overview([...context.config.endpoints]);
  return Response.json(
    { ...view, now: Date.now(), intervalMs: context.config.metricsIntervalMs },
    { headers: NO_STORE },
  );
}

/**
 * `GET /admin` and its files: the page itself holds no data (it asks `/admin/overview` with the token the operator
 * types in), but it is served only where `ADMIN_TOKEN` is set.
 */
export async function adminPage(context: RouteContext): Promise<Response> {
  const { env, request, config, pathname, url } = context;
  if (config.adminToken === undefined || (request.method !== "GET" && request.method !== "HEAD")) {
    return notFound(pathname);
  }
  const file = pathname === "/admin" ? "/admin/" : pathname;
  const asset = await env.ASSETS.fetch(new Request(new URL(file, url), { method: request.method }));
  if (asset.status === 404) return notFound(pathname);
  const headers = new Headers(asset.headers);
  // Never framed by another page, never cached on the way.
  headers.set("x-frame-options", "DENY");
  headers.set(
    "content-security-policy",
    "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  );
  headers.set("cache-control", "no-store");
  return new Response(asset.body, { status: asset.status, headers });
}

function directory(context: RouteContext) {
  return placedStub(context.env.Directory, DIRECTORY_NAME, context.config);
}
