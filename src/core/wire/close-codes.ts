/** WebSocket close codes the server sends (RFC 6455 section 7.4.1), and which codes may be sent at all. */
export const CLOSE_NORMAL = 1000;
/** A closed or reloaded tab. */
export const CLOSE_GOING_AWAY = 1001;
/** What a Close frame without a status code is reported as; never sent. */
export const CLOSE_NO_STATUS = 1005;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** Another connection took this one's id over with its resume token. */
export const CLOSE_REPLACED = 4001;
/** The connection showed no sign of life (no message, no keepalive) for longer than the idle timeout. */
export const CLOSE_IDLE = 4002;
/** The connection was sent more than its outbound budget: taken as not reading its messages. */
export const CLOSE_NOT_READING = 4003;
/** The connection did not register within the register timeout, and its place was needed. */
export const CLOSE_REGISTER_TIMEOUT = 4004;
/** The server goes away for a restart (a deploy, a self-hosted server stopping): its successor is a moment away. */
export const CLOSE_SERVICE_RESTART = 1012;

/**
 * The close codes a refused upgrade is told with where the client cannot read an HTTP status (a browser): 4000
 * plus the status, and 1012 for a server that is stopping. Only these: a socket closed with any other code, 4500
 * say, was not refused and is reconnected.
 */
export const REFUSAL_CLOSE_CODES: Readonly<Record<number, number>> = {
  400: 4400,
  401: 4401,
  403: 4403,
  429: 4429,
  503: CLOSE_SERVICE_RESTART,
};

/** The HTTP status a refusal's close code stands for, or undefined for a close that is not a refusal. */
export function refusalStatusOf(code: number): number | undefined {
  if (code === CLOSE_SERVICE_RESTART) return undefined;
  for (const [status, sent] of Object.entries(REFUSAL_CLOSE_CODES)) if (sent === code) return Number(status);
  return undefined;
}

/**
 * Whether a close is the client's goodbye: 1000; 1001 from a closed or reloaded tab; 1005, a Close frame with no
 * code, as `close()` without arguments sends. Anything else (a dropped network, an error, a client closing to
 * reconnect) may be followed by a resume.
 */
export function isGoodbye(code: number): boolean {
  return code === CLOSE_NORMAL || code === CLOSE_GOING_AWAY || code === CLOSE_NO_STATUS;
}

/**
 * Codes that say the connection ended without a Close frame, so the transport is already gone: 1006 (dropped)
 * and 1015 (TLS failure). RFC 6455 section 7.4.1. (1005 is different: a Close frame came, without a code, and
 * its sender waits for the answer.)
 */
export function isAbruptCloseCode(code: number): boolean {
  return code === 1006 || code === 1015;
}

/** Whether `code` may be sent in a Close frame: 1000-1003, 1007-1014, or the application range 3000-4999. */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
