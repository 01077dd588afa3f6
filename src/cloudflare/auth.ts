/**
 * Join tokens: JWTs verified in the Worker with `jose`, before any room is touched. Where a token may come from,
 * how it is verified, and what a refusal says (never the token itself).
 */
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { claimsProblem, type JoinClaims } from "../core/auth/join-claims.js";
import type { AuthConfig } from "../core/config/config.js";
import { SUBPROTOCOL } from "../core/wire/protocol.js";

/** Clocks disagree: `exp` and `nbf` are honoured this many seconds either way. */
export const CLOCK_SKEW_SECONDS = 30;
/** The subprotocol prefix that carries a token in `Sec-WebSocket-Protocol`, beside `webrtc-signal`. */
export const BEARER_PREFIX = "bearer.";
const PUBLIC_KEY_ALGORITHMS = ["RS256", "ES256", "EdDSA"];

export type Verdict =
  | { ok: true; claims: JoinClaims & JWTPayload }
  | { ok: false; status: 401 | 400; code: "unauthorized" | "bad_request"; error: string };

/** The subprotocols a WebSocket request offers, in order. */
export function offeredProtocols(request: Request): string[] {
  const header = request.headers.get("Sec-WebSocket-Protocol");
  if (!header) return [];
  return header
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/**
 * The token a request carries: `Authorization: Bearer`, a `bearer.<jwt>` subprotocol, or `?token=`, in that
 * order. Undefined when there is none.
 */
export function tokenOf(request: Request, url: URL): string | undefined {
  const header = request.headers.get("Authorization");
  if (header?.toLowerCase().startsWith("bearer ")) return header.slice(7).trim();
  const offered = offeredProtocols(request).find((p) => p.startsWith(BEARER_PREFIX));
  if (offered) return offered.slice(BEARER_PREFIX.length);
  return url.searchParams.get("token") ?? undefined;
}

/** A bearer subprotocol must come with `webrtc-signal`: the answer names that one, never the token. */
export function protocolProblem(request: Request): string | undefined {
  const offered = offeredProtocols(request);
  if (offered.some((p) => p.startsWith(BEARER_PREFIX)) && !offered.includes(SUBPROTOCOL)) {
    return `offer the subprotocol ${SUBPROTOCOL} beside ${BEARER_PREFIX}<token>`;
  }
  return undefined;
}

const keysCache = new WeakMap<AuthConfig, { secret?: Uint8Array; jwks?: JWTVerifyGetKey }>();

function keysOf(auth: AuthConfig): { secret?: Uint8Array; jwks?: JWTVerifyGetKey } {
  let keys = keysCache.get(auth);
  if (!keys) {
    keys = {
      secret: auth.secret === undefined ? undefined : new TextEncoder().encode(auth.secret),
      jwks:
        auth.jwks === undefined ? undefined : createLocalJWKSet(auth.jwks as Parameters<typeof createLocalJWKSet>[0]),
    };
    keysCache.set(auth, keys);
  }
  return keys;
}

/** Verifies signature, `exp` (required), `nbf`, and `iss`/`aud` when configured; then the claims this server reads. */
export async function verifyToken(token: string | undefined, auth: AuthConfig): Promise<Verdict> {
  if (token === undefined || token === "") {
    return refuse(
      "a join token is required: send it as the subprotocol bearer.<token>, ?token=, or Authorization: Bearer",
    );
  }
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return refuse("the token is not a JWT");
  }
  const keys = keysOf(auth);
  const options = {
    issuer: auth.issuer,
    audience: auth.audience,
    clockTolerance: CLOCK_SKEW_SECONDS,
    requiredClaims: ["exp"],
  };
  try {
    const { payload } =
      alg === "HS256" && keys.secret
        ? await jwtVerify(token, keys.secret, { ...options, algorithms: ["HS256"] })
        : keys.jwks && alg !== "HS256"
          ? await jwtVerify(token, keys.jwks, { ...options, algorithms: PUBLIC_KEY_ALGORITHMS })
          : failAlgorithm(alg);
    const problem = claimsProblem(payload as JoinClaims);
    return problem ? refuse(problem) : { ok: true, claims: payload as JoinClaims & JWTPayload };
  } catch (error) {
    return refuse(describeTokenError(error));
  }
}

function failAlgorithm(alg: string | undefined): never {
  throw new errors.JOSEAlgNotAllowed(`tokens signed with ${alg ?? "no algorithm"} are not accepted here`);
}

/** What went wrong, in words a developer can act on (jose's messages never include the token). */
function describeTokenError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "the token is not valid yet (nbf)";
    if (error.claim === "exp") return "the token needs an exp claim";
    return `the token's ${error.claim} claim is wrong: ${error.message}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey) return "no key in AUTH_JWKS matches the token's kid";
  if (error instanceof errors.JOSEAlgNotAllowed) return error.message;
  if (error instanceof errors.JOSEError) return `the token is invalid: ${error.message}`;
  throw error;
}

function refuse(error: string): Verdict {
  return { ok: false, status: 401, code: "unauthorized", error };
}
