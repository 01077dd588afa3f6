/** The ICE servers (STUN, and TURN with short-lived credentials) a signaling server hands out at `/ice-servers`. */

/** What `/ice-servers` answers. */
export interface IceServersAnswer {
  iceServers: RTCIceServer[];
  /** Seconds until the credentials in them expire. */
  ttl: number;
}

/** After a failed fetch, when to try again. */
const RETRY_TTL_SECONDS = 60;

/** The server's ICE servers, or none (retried a minute later) when they cannot be fetched. */
export async function fetchIceServers(
  url: string,
  token: () => Promise<string | undefined> = async () => undefined,
): Promise<IceServersAnswer> {
  try {
    const bearer = await token();
    const response = await fetch(url, bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : undefined);
    if (!response.ok) return { iceServers: [], ttl: RETRY_TTL_SECONDS };
    const body = (await response.json()) as { iceServers?: RTCIceServer[]; ttl?: number };
    const iceServers = Array.isArray(body.iceServers) ? body.iceServers : [];
    return { iceServers, ttl: typeof body.ttl === "number" && body.ttl > 0 ? body.ttl : 0 };
  } catch {
    return { iceServers: [], ttl: RETRY_TTL_SECONDS };
  }
}

/** Where a signaling server at `signalingUrl` (ws or wss) serves its ICE servers. */
export function iceServersUrlOf(signalingUrl: string): string {
  const url = new URL(signalingUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  url.pathname = "/ice-servers";
  url.search = "";
  return url.toString();
}
