/**
 * What a verified join token allows (the verifying is the Worker's: src/cloudflare/auth.ts). Platform-free, so
 * that the rules are tested once and read in one place.
 */
import { isValidPeerId, isValidRoomName } from "../wire/protocol.js";

/** The claims the server reads; `exp` is required and checked with the signature. */
export interface JoinClaims {
  /** The one peer id the connection may register. */
  sub?: string;
  /** A room name, a list of them, or "*" for any. */
  room?: unknown;
}

/** Whether a token's `room` claim lets it into `room`. No claim lets it into none. */
export function roomAllowed(claim: unknown, room: string): boolean {
  if (claim === "*") return true;
  if (typeof claim === "string") return claim === room;
  return Array.isArray(claim) && claim.some((name) => name === "*" || name === room);
}

/**
 * What is wrong with a token's claims, read after its signature and times were verified, or undefined. A `sub`
 * must be a peer id the token's holder could register; `room` must name rooms.
 */
export function claimsProblem(claims: JoinClaims): string | undefined {
  if (claims.sub !== undefined && !isValidPeerId(claims.sub)) return "the token's sub is not a valid peer id";
  if (!isValidRoomClaim(claims.room)) return 'the token\'s room claim must be a room name, a list of them, or "*"';
  return undefined;
}

function isValidRoomClaim(claim: unknown): boolean {
  if (claim === "*") return true;
  if (typeof claim === "string") return isValidRoomName(claim);
  return Array.isArray(claim) && claim.length > 0 && claim.every((name) => name === "*" || isValidRoomName(name));
}
