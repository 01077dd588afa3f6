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
}

export const DEFAULT_ICE_SERVERS: IceServer[] = [{ urls: "stun:stun.cloudflare.com:3478" }];

/** Every setting the server reads, by name: the self-hosted server binds each from the environment. */
export const SETTING_NAMES: readonly string[] = [
  ...Object.values(LIMIT_VARS).map((v) => v.name),
  "ICE_SERVERS",
  "ALLOWED_ORIGINS",
];

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type Settings = Readonly<Record<string, unknown>>;

export function readConfig(vars: Settings): Config {
  return { limits: readLimits(vars), iceServers: readIceServers(vars), allowedOrigins: readAllowedOrigins(vars) };
}

/** Unset, empty, or null (workerd's `fromEnvironment` binding of a variable that is not set). */
function isUnset(raw: unknown): boolean {
  return raw === undefined || raw === null || raw === "";
}

/** Each limit is a positive whole number within the platform's ceiling, written in the setting's unit. */
export function readLimits(vars: Settings): Limits {
  const read = (key: keyof Limits): number => {
    const spec = LIMIT_VARS[key];
    const raw = vars[spec.name];
    if (isUnset(raw)) return DEFAULT_LIMITS[key];
    const value = typeof raw === "number" ? raw : Number(String(raw).trim());
    const scaled = value * spec.scale;
    if (!Number.isInteger(value) || value <= 0 || scaled > spec.max) {
      throw new ConfigError(
        `${spec.name} must be a whole number from 1 to ${spec.max / spec.scale}, got ${JSON.stringify(raw)}`,
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
