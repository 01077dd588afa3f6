/** The ICE servers (STUN, and TURN with short-lived credentials) a signaling server hands out at `/ice-servers`. */

/** What `/ice-servers` answers. */
export interface IceServersAnswer {
  iceServers: RTCIceServer[];
  /** Seconds until the credentials in them expire. */
  ttl: number;
}

/** After a failed fetch, when to try again. */
const RETRY_TTL_SECONDS = 60;

/**
 * Answers kept for reuse, by URL and token: every session of a page asks for the same servers, and the server
 * answers one address only so many times a minute. An answer is reused until a fifth of its lifetime is left.
 */
const cache = new Map<string, { answer: Promise<IceServersAnswer>; until: number }>();
/** Past this many kept answers (a long-lived page with ever new tokens), the oldest go. */
const MAX_CACHED = 16;

/**
 * The server's ICE servers, or none (retried a minute later) when they cannot be fetched. An answer fetched with
 * the same token and still fresh is reused.
 */
export async function fetchIceServers(
  url: string,
  token: () => Promise<string | undefined> = async () => undefined,
  now: () => number = Date.now,
): Promise<IceServersAnswer> {
  const bearer = await token();
  const key = `${url} ${bearer ?? ""}`;
  const kept = cache.get(key);
  if (kept && kept.until > now()) return kept.answer;
  const answer = fetchFresh(url, bearer);
  const entry = { answer, until: Number.POSITIVE_INFINITY };
  cache.set(key, entry);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  const { ttl, iceServers } = await answer;
  // Failures are not kept: the next session asks again.
  entry.until = iceServers.length > 0 && ttl > 0 ? now() + ttl * 800 : 0;
  return answer;
}

async function fetchFresh(url: string, bearer: string | undefined): Promise<IceServersAnswer> {
  try {
    const response = await fetch(url, bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : undefined);
    if (!response.ok) return { iceServers: [], ttl: RETRY_TTL_SECONDS };
    const body = (await response.json()) as { iceServers?: RTCIceServer[]; ttl?: number };
    const iceServers = Array.isArray(body.iceServers) ? body.iceServers : [];
    return { iceServers, ttl: typeof body.ttl === "number" && body.ttl > 0 ? body.ttl : 0 };
  } catch {
    return { iceServers: [], ttl: RETRY_TTL_SECONDS };
  }
}

/**
 * Where a signaling server at `signalingUrl` (ws or wss) serves the ICE servers of `room`: with join tokens on,
 * the server hands TURN credentials only for a room the token grants.
 */
export function iceServersUrlOf(signalingUrl: string, room?: string): string {
  const url = new URL(signalingUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  url.pathname = "/ice-servers";
  url.search = room === undefined ? "" : `?room=${encodeURIComponent(room)}`;
  return url.toString();
}
