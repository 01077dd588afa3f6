/**
 * Every limit and default of the server, in one place. The tunable ones can be overridden by wrangler
 * `[vars]` (see `LIMIT_VARS`); the fixed ones are part of the protocol and documented in docs/protocol.md.
 */

/** The longest peer id, room name and request id, in characters. Fixed by the protocol. */
export const MAX_PEER_ID_LENGTH = 64;
export const MAX_ROOM_NAME_LENGTH = 64;
export const MAX_REQUEST_ID_LENGTH = 64;

/** Cloudflare's own ceilings: a var may not ask for more than the platform gives. */
export const PLATFORM_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
export const PLATFORM_MAX_WEBSOCKETS_PER_OBJECT = 32_768;

/**
 * How far the presence revision may run ahead of its stored ceiling. One SQLite row is written per this many
 * membership changes (and once after each wake that sees a change), never one per change.
 */
export const REVISION_BLOCK = 1_000;

export interface Limits {
  /** Largest accepted message, in UTF-8 bytes. An SDP with many candidates is well under 16 KiB. */
  readonly maxMessageBytes: number;
  /** Connections per room (each is a would-be peer); past it `room_full`. */
  readonly maxPeersPerRoom: number;
  /** Token bucket per connection: the sustained rate ... */
  readonly ratePerSecond: number;
  /** ... and the burst it absorbs (ICE trickle sends a dozen candidates at once). */
  readonly rateBurst: number;
  /** A socket still sending over the rate this long after it was first limited is closed with 1008. */
  readonly abuseAfterMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 64 * 1024,
  maxPeersPerRoom: 5_000,
  ratePerSecond: 50,
  rateBurst: 200,
  abuseAfterMs: 10_000,
};

/** The wrangler `[vars]` name of each tunable limit, and its unit as written there. */
export const LIMIT_VARS = {
  maxMessageBytes: { name: "MAX_MESSAGE_BYTES", scale: 1, max: PLATFORM_MAX_MESSAGE_BYTES },
  maxPeersPerRoom: { name: "MAX_PEERS_PER_ROOM", scale: 1, max: PLATFORM_MAX_WEBSOCKETS_PER_OBJECT },
  ratePerSecond: { name: "RATE_LIMIT_PER_SECOND", scale: 1, max: 1_000_000 },
  rateBurst: { name: "RATE_LIMIT_BURST", scale: 1, max: 1_000_000 },
  abuseAfterMs: { name: "RATE_LIMIT_ABUSE_SECONDS", scale: 1_000, max: 86_400_000 },
} as const satisfies Record<keyof Limits, { name: string; scale: number; max: number }>;

export class LimitsConfigError extends Error {
  override name = "LimitsConfigError";
}

/**
 * Reads the limits from the Worker's environment. A var that is set but is not a positive whole number within
 * the platform's ceiling is a deployment mistake: it throws, naming the var and the value, rather than silently
 * falling back to the default.
 */
export function readLimits(vars: Readonly<Record<string, unknown>>): Limits {
  const read = (key: keyof Limits): number => {
    const spec = LIMIT_VARS[key];
    const raw = vars[spec.name];
    if (raw === undefined || raw === "") return DEFAULT_LIMITS[key];
    const value = typeof raw === "number" ? raw : Number(String(raw).trim());
    const scaled = value * spec.scale;
    if (!Number.isInteger(value) || value <= 0 || scaled > spec.max) {
      throw new LimitsConfigError(
        `${spec.name} must be a whole number from 1 to ${spec.max / spec.scale}, got ${JSON.stringify(raw)}`,
      );
    }
    return scaled;
  };
  return {
    maxMessageBytes: read("maxMessageBytes"),
    maxPeersPerRoom: read("maxPeersPerRoom"),
    ratePerSecond: read("ratePerSecond"),
    rateBurst: read("rateBurst"),
    abuseAfterMs: read("abuseAfterMs"),
  };
}
