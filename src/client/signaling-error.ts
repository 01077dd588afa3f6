import type { ErrorCode } from "../core/wire/protocol.js";

/**
 * The server's error codes, and the client's own: no answer in time, closed by `close()`, queue overflow, and the
 * peer id taken over by another connection with the resume token, and a `token` function that failed.
 */
export type SignalingErrorCode = ErrorCode | "timeout" | "closed" | "queue_full" | "replaced" | "token_failed";

export class SignalingError extends Error {
  override name = "SignalingError";
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    readonly requestId?: string,
    /** The peer a relay's error is about (`unknown_peer`, `undeliverable`, `target_busy`, ...). */
    readonly to?: string,
  ) {
    super(message);
  }
}
