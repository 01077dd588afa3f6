/**
 * What a verified join token allows (the verifying is the Worker's: src/cloudflare/auth.ts). Platform-free, so
 * that the rules are tested once and read in one place.
 */
import { ENDPOINTS, type Endpoint } from "../config/config.js";
import { isValidPeerId, isValidRoomName } from "../wire/protocol.js";

/** The claims the server reads; `exp` is required and checked with the signature. */
export interface JoinClaims {
  /** The one peer id the connection may register. */
  sub?: string;
  /** A room name, a list of them, or "*" for any. */
  room?: unknown;
  /**
   * The endpoints the token opens (`seed`, `y-webrtc`, `peerjs`, `webtorrent`): one, a list, or "*". Without it, the
   * seed protocol's alone, so that a token minted for a room does not also open the y-webrtc namespace, the tracker
   * and the PeerJS key of the same name.
   */
  endpoint?: unknown;
}

/** The endpoint a token without an `endpoint` claim opens. */
export const DEFAULT_TOKEN_ENDPOINT: Endpoint = "seed";

/** Whether a token's `room` claim lets it into `room`. No claim lets it into none. */
export function roomAllowed(claim: unknown, room: string): boolean {
  if (claim === "*") return true;
  if (typeof claim === "string") return claim === room;
  return Array.isArray(claim) && claim.some((name) => name === "*" || name === room);
}

/** Whether a token's `endpoint` claim lets it use `endpoint`. */
export function endpointAllowed(claim: unknown, endpoint: Endpoint): boolean {
  if (claim === undefined) return endpoint === DEFAULT_TOKEN_ENDPOINT;
  if (claim === "*") return true;
  if (typeof claim === "string") return claim === endpoint;
  return Array.isArray(claim) && claim.some((name) => name === "*" || name === endpoint);
}

/**
 * What is wrong with a token's claims, read after its signature and times were verified, or undefined. A `sub`
 * must be a peer id the token's holder could register; `room` must name rooms, `endpoint` endpoints.
 */
export function claimsProblem(claims: JoinClaims): string | undefined {
  if (claims.sub !== undefined && !isValidPeerId(claims.sub)) return "the token's sub is not a valid peer id";
  if (!isValidRoomClaim(claims.room)) return 'the token\'s room claim must be a room name, a list of them, or "*"';
  if (claims.endpoint !== undefined && !isValidEndpointClaim(claims.endpoint)) {
    return `the token's endpoint claim must be one of ${ENDPOINTS.join(", ")}, a list of them, or "*"`;
  }
  return undefined;
}

function isValidRoomClaim(claim: unknown): boolean {
  if (claim === "*") return true;
  if (typeof claim === "string") return isValidRoomName(claim);
  return Array.isArray(claim) && claim.length > 0 && claim.every((name) => name === "*" || isValidRoomName(name));
}

function isValidEndpointClaim(claim: unknown): boolean {
  const known = (name: unknown) => name === "*" || (ENDPOINTS as readonly unknown[]).includes(name);
  if (typeof claim === "string") return known(claim);
  return Array.isArray(claim) && claim.length > 0 && claim.every(known);
}
