/**
 * What `GET /ice-servers` answers: the STUN servers of `ICE_SERVERS`, plus TURN credentials minted for this caller
 * when TURN is configured, in RTCConfiguration's shape with how long they last.
 */
import { roomAllowed } from "../core/auth/join-claims.js";
import type { Config, IceServer, TurnConfig } from "../core/config/config.js";
import type { PerAddressLimit } from "../core/connection/per-address-limit.js";
import { describeError, logEvent } from "../core/log.js";
import { isValidRoomName } from "../core/wire/protocol.js";
import { authorize, refusal, withinLimit } from "./checks.js";
import { clientAddress } from "./client-address.js";
import { jsonError, NO_STORE, type RouteContext } from "./http.js";

export interface IceServersAnswer {
  iceServers: IceServer[];
  /** Seconds the credentials stay valid; ask again before they run out. */
  ttl: number;
}

/** How long STUN-only answers may be kept: STUN needs no credentials, so a day. */
export const STATIC_ICE_TTL_SECONDS = 86_400;
export const CLOUDFLARE_TURN_API = "https://rtc.live.cloudflare.com/v1/turn/keys";

const fallbackLimits = new WeakMap<Config, PerAddressLimit>();

/**
 * `GET /ice-servers?room=<name>`: STUN, and TURN credentials for this caller when TURN is configured. Behind the
 * same token check as joining, and with tokens on, for a room the token grants (a token for any one room no longer
 * mints TURN credentials for all of them). At most `ICE_SERVERS_PER_IP_PER_MINUTE` answers per address: one address
 * used to take 1,500 credential sets in 5.6 s.
 */
export async function iceServers(context: RouteContext): Promise<Response> {
  const { env, config, request, url } = context;
  const address = clientAddress(request, config);
  if (!(await withinLimit(env, address, "ice-servers:", config.iceServersPerIpPerMinute, fallbackLimits, config))) {
    logEvent("warn", "ice_servers_rate_exceeded", {});
    return jsonError(
      429,
      "too_many_requests",
      "too many ICE server requests from this address; try again in a minute",
      {
        "retry-after": "60",
      },
    );
  }
  const verdict = await authorize(context);
  if (verdict && !verdict.ok) return refusal(context, verdict);
  if (verdict?.ok && verdict.claims.room !== "*") {
    const room = url.searchParams.get("room");
    if (room === null || !isValidRoomName(room)) {
      return jsonError(400, "bad_request", "name the room these ICE servers are for: /ice-servers?room=<name>");
    }
    if (!roomAllowed(verdict.claims.room, room))
      return jsonError(403, "forbidden", `the token does not grant the room ${room}`);
  }
  const subject = verdict?.ok ? verdict.claims.sub : undefined;
  return Response.json(await iceServersFor(config, subject), { headers: NO_STORE });
}

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
