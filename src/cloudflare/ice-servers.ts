/**
 * What `GET /ice-servers` answers: the STUN servers of `ICE_SERVERS`, plus TURN credentials minted for this caller
 * when TURN is configured, in RTCConfiguration's shape with how long they last.
 */
import type { Config, IceServer, TurnConfig } from "../core/config/config.js";
import { describeError, logEvent } from "../core/log.js";

export interface IceServersAnswer {
  iceServers: IceServer[];
  /** Seconds the credentials stay valid; ask again before they run out. */
  ttl: number;
}

/** How long STUN-only answers may be kept: STUN needs no credentials, so a day. */
export const STATIC_ICE_TTL_SECONDS = 86_400;
export const CLOUDFLARE_TURN_API = "https://rtc.live.cloudflare.com/v1/turn/keys";

/**
 * `subject`: the caller's `sub` when it brought a token, so that TURN usage is bound to that peer; else a random
 * id. A failure of Cloudflare's TURN API degrades to STUN alone, logged, never a 500.
 */
export async function iceServersFor(
  config: Pick<Config, "iceServers" | "turn">,
  subject: string | undefined,
  fetcher: typeof fetch = fetch,
  now: number = Date.now(),
): Promise<IceServersAnswer> {
  const stun = [...config.iceServers];
  const turn = config.turn;
  if (!turn) return { iceServers: stun, ttl: STATIC_ICE_TTL_SECONDS };
  if (turn.kind === "shared-secret") {
    return { iceServers: [...stun, await sharedSecretCredentials(turn, subject, now)], ttl: turn.ttl };
  }
  try {
    return { iceServers: [...stun, ...(await cloudflareCredentials(turn, fetcher))], ttl: turn.ttl };
  } catch (error) {
    logEvent("error", "turn_credentials_failed", { error: describeError(error) });
    return { iceServers: stun, ttl: Math.min(turn.ttl, 60) };
  }
}

/**
 * The TURN REST API convention (coturn's `use-auth-secret`): username `<unix expiry>:<id>`, credential
 * base64(HMAC-SHA1(secret, username)). The TURN server checks the expiry itself.
 */
export async function sharedSecretCredentials(
  turn: Extract<TurnConfig, { kind: "shared-secret" }>,
  subject: string | undefined,
  now: number,
): Promise<IceServer> {
  const expiry = Math.floor(now / 1000) + turn.ttl;
  const username = `${expiry}:${subject ?? randomId()}`;
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(turn.secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(username)));
  return { urls: turn.urls, username, credential: btoa(String.fromCharCode(...mac)) };
}

async function cloudflareCredentials(
  turn: Extract<TurnConfig, { kind: "cloudflare" }>,
  fetcher: typeof fetch,
): Promise<IceServer[]> {
  const response = await fetcher(`${CLOUDFLARE_TURN_API}/${turn.keyId}/credentials/generate-ice-servers`, {
    method: "POST",
    headers: { Authorization: `Bearer ${turn.apiToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ ttl: turn.ttl }),
  });
  if (!response.ok) throw new Error(`Cloudflare TURN answered HTTP ${response.status}`);
  const body = (await response.json()) as { iceServers?: unknown };
  const servers = Array.isArray(body.iceServers) ? body.iceServers : body.iceServers ? [body.iceServers] : [];
  if (servers.length === 0 || !servers.every((s) => typeof s === "object" && s !== null && "urls" in s)) {
    throw new Error("Cloudflare TURN answered without iceServers");
  }
  return servers as IceServer[];
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}
