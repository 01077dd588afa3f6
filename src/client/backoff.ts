/** Reconnect delays: exponential backoff with full jitter (a random delay up to the exponential cap). */
export interface BackoffOptions {
  /** The cap of the first retry's delay, in ms. */
  baseMs: number;
  /** No delay is ever longer than this, in ms. */
  maxMs: number;
}

/**
 * A server that cannot be reached is tried again within 5 s, however long it has been away (socket.io's and
 * Phoenix's cap too). With a 30 s cap, a first connection made while a self-hosted server restarted could wait
 * half a minute after the server was back. Refusals that say to wait longer (429) wait as they are told.
 */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5_000 };

/**
 * The delay before retry number `attempt` (0 for the first): uniform in [0, min(maxMs, baseMs * 2^attempt)).
 * Full jitter spreads a crowd of clients that lost the server at the same moment.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}
