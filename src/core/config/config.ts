/**
 * The deployment's settings, read once from wrangler `[vars]` and secrets (or, on the self-hosted server, from
 * environment variables of the same names). A setting that is present but wrong is a deployment mistake: reading
 * throws one `ConfigError` naming the setting and the value, rather than falling back to a default silently.
 */
import { DEFAULT_LIMITS, LIMIT_VARS, type Limits } from "./limits.js";

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface Config {
  readonly limits: Limits;
  /** What `/ice-servers` answers: the demo and PeerSession use them unless told otherwise. */
  readonly iceServers: readonly IceServer[];
  /** Browser origins allowed to connect and to read the HTTP routes; undefined allows any (open mode). */
  readonly allowedOrigins: ReadonlySet<string> | undefined;
  /** Join tokens: undefined lets anyone in (open mode). */
  readonly auth: AuthConfig | undefined;
  /** Where TURN credentials come from, if anywhere. */
  readonly turn: TurnConfig | undefined;
  /** New WebSocket connections one address may open per minute, across all rooms; 0: no limit. */
  readonly connectionsPerIpPerMinute: number;
  /** Answers one address may get from `/ice-servers` per minute; 0: no limit. */
  readonly iceServersPerIpPerMinute: number;
  /** The bearer token of the admin routes; undefined: they do not exist. */
  readonly adminToken: string | undefined;
  /**
   * The header a trusted reverse proxy sets to the client's address (`X-Real-IP`, `X-Forwarded-For`), lower-cased:
   * then only it is believed. Undefined: `CF-Connecting-IP` on Cloudflare, the TCP peer on the self-hosted server.
   */
  readonly clientAddressHeader: string | undefined;
  /** Where the Worker runs (`SIGNAL_RUNTIME`, set by `npm run serve` and `npm start` themselves, never by hand). */
  readonly runtime: Runtime;
  /** The wire protocols this server speaks (`ENDPOINTS`); all by default. */
  readonly endpoints: ReadonlySet<Endpoint>;
  /** Whether `GET /peerjs/<key>/peers` lists the connected ids (`PEERJS_ALLOW_DISCOVERY`), as PeerJS's option. */
  readonly peerjsAllowDiscovery: boolean;
  /** Whether the demo page is served (`DEMO`, on unless "false"). */
  readonly serveDemo: boolean;
  /**
   * Whether each connected peer's registration is written to the room's storage (`PERSIST_REGISTRATIONS`), so
   * that an end the room is not told of (a crash, SIGKILL, a Cloudflare deploy) still holds every id for its
   * client to take back. Two rows written per session: on by default on the self-hosted server, where rows cost
   * nothing; off on Cloudflare, where it would make a call's rows its largest cost, and under `npm start`, where
   * stopping the dev server would otherwise hold every id for the grace period on the next start.
   */
  readonly persistRegistrations: boolean;
  /**
   * Where new room objects are placed (`LOCATION_HINT`, a Cloudflare location hint) unless their first join asks
   * for another (`?location=`); undefined: near whoever first joins.
   */
  readonly locationHint: LocationHint | undefined;
  /** `JURISDICTION`: every room object of every endpoint kept inside it (`eu`, `fedramp`); undefined: anywhere. */
  readonly jurisdiction: Jurisdiction | undefined;
  /**
   * Whether rooms report to the directory that `/metrics` and `/admin` read (`METRICS`): needs `ADMIN_TOKEN`. By
   * default on wherever it costs nothing (the self-hosted server, `npm start`), off on Cloudflare, where each
   * report is a Durable Object request and a row written (docs/operations.md has the cost per room-hour).
   */
  readonly metrics: boolean;
  /** How often, at most, an awake room reports (`METRICS_INTERVAL_SECONDS`). */
  readonly metricsIntervalMs: number;
  /** Signed webhooks (`WEBHOOK_URL`, `WEBHOOK_SECRET`); undefined: none are sent. */
  readonly webhooks: WebhookConfig | undefined;
}

/** The events a webhook may carry (`WEBHOOK_EVENTS` picks among them). */
export const WEBHOOK_EVENTS = ["peer.joined", "peer.left"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookConfig {
  readonly url: string;
  /** The HMAC key, decoded from `whsec_<base64>`. */
  readonly key: Uint8Array;
  readonly events: ReadonlySet<WebhookEvent>;
  /** Attempts per event before it is dropped (`WEBHOOK_MAX_ATTEMPTS`). */
  readonly maxAttempts: number;
}

/** Cloudflare's Durable Object location hints. */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];
export const JURISDICTIONS = ["eu", "fedramp"] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

export function isLocationHint(value: unknown): value is LocationHint {
  return (LOCATION_HINTS as readonly unknown[]).includes(value);
}

/**
 * Where the Worker runs, which says who can be believed about a client's address: `cloudflare` (its
 * `CF-Connecting-IP`), `workerd` (the self-hosted server: the TCP peer), `wrangler-dev` (`npm start`: nobody).
 */
export const RUNTIMES = ["cloudflare", "workerd", "wrangler-dev"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Every endpoint, by the name `ENDPOINTS` uses: the seed protocol, and the drop-ins for other clients. */
export const ENDPOINTS = ["seed", "y-webrtc", "peerjs", "webtorrent", "lobby"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** How join tokens (JWT) are verified: an HS256 secret, public keys, or both. */
export interface AuthConfig {
  readonly secret?: string;
  readonly jwks?: { keys: Array<Record<string, unknown>> };
  readonly issuer?: string;
  readonly audience?: string;
}

export type TurnConfig =
  /** coturn's `use-auth-secret`: credentials minted here by the TURN REST API convention. */
  | { readonly kind: "shared-secret"; readonly secret: string; readonly urls: string[]; readonly ttl: number }
  /** Cloudflare Realtime TURN: credentials asked of Cloudflare's API. */
  | { readonly kind: "cloudflare"; readonly keyId: string; readonly apiToken: string; readonly ttl: number };

/** An HS256 key shorter than this is guessable offline from any token it signed. */
export const MIN_AUTH_SECRET_LENGTH = 32;
/** An admin token shorter than this can be guessed; failed guesses are throttled as well. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
export const DEFAULT_ICE_SERVERS_PER_IP_PER_MINUTE = 60;
export const DEFAULT_TURN_TTL_SECONDS = 86_400;

export const DEFAULT_ICE_SERVERS: IceServer[] = [{ urls: "stun:stun.cloudflare.com:3478" }];

/** Every setting the server reads, by name: the self-hosted server binds each from the environment. */
export const SETTING_NAMES: readonly string[] = [
  ...Object.values(LIMIT_VARS).map((v) => v.name),
  "ICE_SERVERS",
  "ALLOWED_ORIGINS",
  "AUTH_SECRET",
  "AUTH_JWKS",
  "AUTH_ISSUER",
  "AUTH_AUDIENCE",
  "TURN_SECRET",
  "TURN_URLS",
  "TURN_TTL",
  "TURN_KEY_ID",
  "TURN_KEY_API_TOKEN",
  "TURN_ALLOW_OPEN",
  "NEW_CONNECTIONS_PER_IP_PER_MINUTE",
  "ICE_SERVERS_PER_IP_PER_MINUTE",
  "CLIENT_ADDRESS_HEADER",
  "ADMIN_TOKEN",
  "ENDPOINTS",
  "PEERJS_ALLOW_DISCOVERY",
  "DEMO",
  "PERSIST_REGISTRATIONS",
  "LOCATION_HINT",
  "JURISDICTION",
  "METRICS",
  "METRICS_INTERVAL_SECONDS",
  "WEBHOOK_URL",
  "WEBHOOK_SECRET",
  "WEBHOOK_EVENTS",
  "WEBHOOK_MAX_ATTEMPTS",
];

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type Settings = Readonly<Record<string, unknown>>;

export function readConfig(vars: Settings): Config {
  const auth = readAuth(vars);
  const runtime = readRuntime(vars);
  return {
    limits: readLimits(vars),
    iceServers: readIceServers(vars),
    allowedOrigins: readAllowedOrigins(vars),
    auth,
    turn: readOpenTurn(vars, auth),
    connectionsPerIpPerMinute: readWholeNumber(vars, "NEW_CONNECTIONS_PER_IP_PER_MINUTE", 0, 1_000_000, 0),
    iceServersPerIpPerMinute: readWholeNumber(
      vars,
      "ICE_SERVERS_PER_IP_PER_MINUTE",
      0,
      1_000_000,
      DEFAULT_ICE_SERVERS_PER_IP_PER_MINUTE,
    ),
    adminToken: readAdminToken(vars),
    clientAddressHeader: readClientAddressHeader(vars),
    runtime,
    endpoints: readEndpoints(vars),
    peerjsAllowDiscovery: readBoolean(vars, "PEERJS_ALLOW_DISCOVERY", false),
    serveDemo: readBoolean(vars, "DEMO", true),
    persistRegistrations: readBoolean(vars, "PERSIST_REGISTRATIONS", runtime === "workerd"),
    locationHint: readChoice(vars, "LOCATION_HINT", LOCATION_HINTS),
    jurisdiction: readChoice(vars, "JURISDICTION", JURISDICTIONS),
    metrics: readMetrics(vars, runtime),
    metricsIntervalMs: readWholeNumber(vars, "METRICS_INTERVAL_SECONDS", 1, 9, 5) * 1000,
    webhooks: readWebhooks(vars),
  };
}

/** `METRICS`: `auto` (the default: on with `ADMIN_TOKEN` where reports cost nothing), `on`, or `off`. */
function readMetrics(vars: Settings, runtime: Runtime): boolean {
  const choice = readChoice(vars, "METRICS", ["auto", "on", "off"] as const) ?? "auto";
  const token = readText(vars, "ADMIN_TOKEN") !== undefined;
  if (choice === "on" && !token) {
    throw new ConfigError("METRICS = on needs ADMIN_TOKEN: /metrics and /admin are read with it");
  }
  return choice === "on" || (choice === "auto" && token && runtime !== "cloudflare");
}

function readWebhooks(vars: Settings): WebhookConfig | undefined {
  const url = readText(vars, "WEBHOOK_URL");
  const secret = readText(vars, "WEBHOOK_SECRET");
  if (url === undefined) {
    if (secret !== undefined) throw new ConfigError("WEBHOOK_SECRET is set without WEBHOOK_URL");
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw new ConfigError(`WEBHOOK_URL must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (secret === undefined) {
    throw new ConfigError("WEBHOOK_URL needs WEBHOOK_SECRET (whsec_<base64>, e.g. whsec_$(openssl rand -base64 32))");
  }
  const key = decodeWebhookSecret(secret);
  if (!key) {
    throw new ConfigError(
      "WEBHOOK_SECRET must be whsec_ followed by base64 of 24 to 64 bytes (whsec_$(openssl rand -base64 32))",
    );
  }
  const listed = readText(vars, "WEBHOOK_EVENTS");
  const names =
    listed === undefined
      ? [...WEBHOOK_EVENTS]
      : listed
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean);
  const unknown = names.find((n) => !(WEBHOOK_EVENTS as readonly string[]).includes(n));
  if (unknown !== undefined) {
    throw new ConfigError(
      `WEBHOOK_EVENTS must list some of ${WEBHOOK_EVENTS.join(", ")}, got ${JSON.stringify(unknown)}`,
    );
  }
  const maxAttempts = readWholeNumber(vars, "WEBHOOK_MAX_ATTEMPTS", 1, 20, 10);
  return { url, key, events: new Set(names as WebhookEvent[]), maxAttempts };
}

/** `whsec_<base64>`, as Standard Webhooks libraries take it; undefined when it is not. */
export function decodeWebhookSecret(secret: string): Uint8Array | undefined {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!match) return undefined;
  try {
    const bytes = Uint8Array.from(atob(match[1] as string), (c) => c.charCodeAt(0));
    return bytes.length >= 24 && bytes.length <= 64 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function readChoice<T extends string>(vars: Settings, name: string, choices: readonly T[]): T | undefined {
  const raw = readText(vars, name);
  if (raw === undefined) return undefined;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(raw)}`);
}

/**
 * TURN credentials handed to whoever asks give away the TURN quota they draw on, so TURN without join tokens is
 * refused unless `TURN_ALLOW_OPEN` says it is meant.
 */
function readOpenTurn(vars: Settings, auth: AuthConfig | undefined): TurnConfig | undefined {
  const turn = readTurn(vars);
  if (turn && !auth && !readBoolean(vars, "TURN_ALLOW_OPEN", false)) {
    throw new ConfigError(
      'TURN is configured without join tokens, so /ice-servers would hand TURN credentials (and your TURN quota) to anyone: set AUTH_SECRET or AUTH_JWKS, or TURN_ALLOW_OPEN = "true" if that is meant',
    );
  }
  return turn;
}

function readAdminToken(vars: Settings): string | undefined {
  const token = readText(vars, "ADMIN_TOKEN");
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (make one with: openssl rand -base64 32)`,
    );
  }
  return token;
}

/** `CLIENT_ADDRESS_HEADER`: an HTTP header name, such as `X-Real-IP` or `X-Forwarded-For`. */
function readClientAddressHeader(vars: Settings): string | undefined {
  const name = readText(vars, "CLIENT_ADDRESS_HEADER");
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    throw new ConfigError(
      `CLIENT_ADDRESS_HEADER must be an HTTP header name such as X-Real-IP, got ${JSON.stringify(name)}`,
    );
  }
  return name.toLowerCase();
}

function readRuntime(vars: Settings): Runtime {
  const raw = readText(vars, "SIGNAL_RUNTIME");
  if (raw === undefined) return "cloudflare";
  if ((RUNTIMES as readonly string[]).includes(raw)) return raw as Runtime;
  throw new ConfigError(`SIGNAL_RUNTIME must be one of ${RUNTIMES.join(", ")}, got ${JSON.stringify(raw)}`);
}

function readBoolean(vars: Settings, name: string, fallback: boolean): boolean {
  const raw = readText(vars, name);
  if (raw === undefined) return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

/** `ENDPOINTS`: the protocols to serve, comma-separated (`seed,y-webrtc`); unset serves them all. */
export function readEndpoints(vars: Settings): ReadonlySet<Endpoint> {
  const raw = readText(vars, "ENDPOINTS");
  if (raw === undefined) return new Set(ENDPOINTS);
  const names = raw
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const unknown = names.find((name) => !(ENDPOINTS as readonly string[]).includes(name));
  if (unknown !== undefined) {
    throw new ConfigError(`ENDPOINTS must list some of ${ENDPOINTS.join(", ")}, got ${JSON.stringify(unknown)}`);
  }
  return new Set(names as Endpoint[]);
}

function readText(vars: Settings, name: string): string | undefined {
  const raw = vars[name];
  if (isUnset(raw)) return undefined;
  const text = String(raw).trim();
  return text === "" ? undefined : text;
}

function readWholeNumber(vars: Settings, name: string, min: number, max: number, fallback: number): number {
  const raw = vars[name];
  if (isUnset(raw)) return fallback;
  const value = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * `AUTH_SECRET` (HS256) and/or `AUTH_JWKS` (a JWKS as JSON text: RS256, ES256, EdDSA public keys) turn join tokens
 * on; `AUTH_ISSUER` and `AUTH_AUDIENCE`, when set, must then match `iss` and `aud`.
 */
export function readAuth(vars: Settings): AuthConfig | undefined {
  const secret = readText(vars, "AUTH_SECRET");
  const jwksText = readText(vars, "AUTH_JWKS");
  const issuer = readText(vars, "AUTH_ISSUER");
  const audience = readText(vars, "AUTH_AUDIENCE");
  if (secret === undefined && jwksText === undefined) {
    if (issuer !== undefined || audience !== undefined) {
      throw new ConfigError("AUTH_ISSUER and AUTH_AUDIENCE need AUTH_SECRET or AUTH_JWKS to verify tokens with");
    }
    return undefined;
  }
  if (secret !== undefined && secret.length < MIN_AUTH_SECRET_LENGTH) {
    throw new ConfigError(
      `AUTH_SECRET must be at least ${MIN_AUTH_SECRET_LENGTH} characters (make one with: openssl rand -base64 32)`,
    );
  }
  let jwks: AuthConfig["jwks"];
  if (jwksText !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(jwksText);
    } catch {
      parsed = undefined;
    }
    const keys = (parsed as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "object" && k !== null)) {
      throw new ConfigError('AUTH_JWKS must be a JWKS as JSON text: {"keys":[{...public key...}]}');
    }
    if (keys.some((k) => "d" in k)) {
      throw new ConfigError("AUTH_JWKS holds a private key (a `d` member): give the server the public keys only");
    }
    jwks = { keys };
  }
  return { secret, jwks, issuer, audience };
}

/** `TURN_SECRET` with `TURN_URLS` (coturn), or `TURN_KEY_ID` with `TURN_KEY_API_TOKEN` (Cloudflare Realtime). */
export function readTurn(vars: Settings): TurnConfig | undefined {
  const ttl = readWholeNumber(vars, "TURN_TTL", 60, 7 * 86_400, DEFAULT_TURN_TTL_SECONDS);
  const secret = readText(vars, "TURN_SECRET");
  const urlsText = readText(vars, "TURN_URLS");
  const keyId = readText(vars, "TURN_KEY_ID");
  const apiToken = readText(vars, "TURN_KEY_API_TOKEN");
  if (secret !== undefined && keyId !== undefined) {
    throw new ConfigError("set either TURN_SECRET (coturn) or TURN_KEY_ID (Cloudflare Realtime), not both");
  }
  if (secret !== undefined || urlsText !== undefined) {
    const urls = (urlsText ?? "")
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url !== "");
    if (secret === undefined || urls.length === 0) {
      throw new ConfigError("TURN_SECRET and TURN_URLS go together: the shared secret and where the TURN server is");
    }
    const bad = urls.find((url) => !/^turns?:[^\s]+$/.test(url));
    if (bad !== undefined) {
      throw new ConfigError(`TURN_URLS must be turn: or turns: URLs, comma-separated, got ${JSON.stringify(bad)}`);
    }
    return { kind: "shared-secret", secret, urls, ttl };
  }
  if (keyId !== undefined || apiToken !== undefined) {
    if (keyId === undefined || apiToken === undefined) {
      throw new ConfigError("TURN_KEY_ID and TURN_KEY_API_TOKEN go together (Cloudflare dashboard: Realtime, TURN)");
    }
    if (!/^[A-Za-z0-9_-]+$/.test(keyId)) {
      throw new ConfigError(`TURN_KEY_ID must be the TURN key's id, got ${JSON.stringify(keyId)}`);
    }
    return { kind: "cloudflare", keyId, apiToken, ttl };
  }
  return undefined;
}

/** Unset, empty, or null (workerd's `fromEnvironment` binding of a variable that is not set). */
function isUnset(raw: unknown): boolean {
  return raw === undefined || raw === null || raw === "";
}

/** Each limit is a positive whole number within the platform's ceiling, written in the setting's unit. */
export function readLimits(vars: Settings): Limits {
  const read = (key: keyof Limits): number => {
    const spec: { name: string; scale: number; max: number; min?: number } = LIMIT_VARS[key];
    const raw = vars[spec.name];
    if (isUnset(raw)) return DEFAULT_LIMITS[key];
    const value = typeof raw === "number" ? raw : Number(String(raw).trim());
    const scaled = value * spec.scale;
    const min = spec.min ?? 1;
    if (!Number.isInteger(value) || value < min || scaled > spec.max) {
      const off = min === 0 ? " (0: off)" : "";
      throw new ConfigError(
        `${spec.name} must be a whole number from ${min} to ${spec.max / spec.scale}${off}, got ${JSON.stringify(raw)}`,
      );
    }
    return scaled;
  };
  const limits: Record<string, number> = {};
  for (const key of Object.keys(LIMIT_VARS) as Array<keyof Limits>) limits[key] = read(key);
  return { ...DEFAULT_LIMITS, ...limits };
}

/** `ICE_SERVERS` is a JSON array of RTCIceServer (a TURN service's credentials, say), or `[]` for none. */
export function readIceServers(vars: Settings): IceServer[] {
  const raw = vars.ICE_SERVERS;
  if (isUnset(raw)) return DEFAULT_ICE_SERVERS;
  let parsed: unknown = raw;
  try {
    if (typeof raw === "string") parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every(isIceServer)) {
    throw new ConfigError(`ICE_SERVERS must be a JSON array of {"urls": ...} objects, got ${JSON.stringify(raw)}`);
  }
  return parsed;
}

function isIceServer(value: unknown): value is IceServer {
  return typeof value === "object" && value !== null && "urls" in value;
}

/**
 * `ALLOWED_ORIGINS`: comma-separated exact origins (`https://app.example.com`). When set, a browser on any other
 * origin is refused, which stops cross-site WebSocket hijacking; requests without an `Origin` are not browsers.
 */
export function readAllowedOrigins(vars: Settings): ReadonlySet<string> | undefined {
  const raw = vars.ALLOWED_ORIGINS;
  if (isUnset(raw)) return undefined;
  const origins = String(raw)
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  for (const origin of origins) {
    if (!isOrigin(origin)) {
      throw new ConfigError(
        `ALLOWED_ORIGINS must be comma-separated origins like https://app.example.com, got ${JSON.stringify(origin)}`,
      );
    }
  }
  return new Set(origins);
}

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}
