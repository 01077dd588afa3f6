/** The client SDK: `import { SignalingClient, PeerSession } from "<package>/client"`. */
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
export type { SignalingClientOptions } from "./client-options.js";
export { Emitter } from "./emitter.js";
export { PeerSessionError } from "./negotiation-watch.js";
export {
  isSessionSignal,
  PeerSession,
  type PeerSessionEvents,
  type PeerSessionOptions,
  type SessionSignal,
} from "./peer-session.js";
export {
  type ConnectionState,
  SignalingClient,
  type SignalingEvents,
} from "./signaling-client.js";
export { SignalingError, type SignalingErrorCode } from "./signaling-error.js";
export { roomUrl, type WebSocketConstructor, type WebSocketLike } from "./websocket.js";
