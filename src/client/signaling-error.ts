import type { ErrorCode } from "../core/protocol.js";

/** The server's error codes, and the client's own: no answer in time, closed by `close()`, queue overflow. */
export type SignalingErrorCode = ErrorCode | "timeout" | "closed" | "queue_full";

export class SignalingError extends Error {
  override name = "SignalingError";
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}
