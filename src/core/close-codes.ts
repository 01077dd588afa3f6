/** WebSocket close codes the server sends (RFC 6455 section 7.4.1), and which codes may be sent at all. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_TRY_AGAIN_LATER = 1013;

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
