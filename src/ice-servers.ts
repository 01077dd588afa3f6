/**
 * The ICE servers the demo and PeerSession use unless told otherwise, served at `/ice-servers`. Set the
 * `ICE_SERVERS` var to a JSON array of RTCIceServer (a TURN service's credentials, say) or to `[]` for none.
 */
import { LimitsConfigError } from "./limits.js";

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export const DEFAULT_ICE_SERVERS: IceServer[] = [{ urls: "stun:stun.cloudflare.com:3478" }];

export function readIceServers(vars: Readonly<Record<string, unknown>>): IceServer[] {
  const raw = vars.ICE_SERVERS;
  if (raw === undefined || raw === "") return DEFAULT_ICE_SERVERS;
  let parsed: unknown = raw;
  try {
    if (typeof raw === "string") parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "object" && s !== null && "urls" in s)) {
    throw new LimitsConfigError(
      `ICE_SERVERS must be a JSON array of {"urls": ...} objects, got ${JSON.stringify(raw)}`,
    );
  }
  return parsed as IceServer[];
}
