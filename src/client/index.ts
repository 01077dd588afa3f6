/** The client SDK: `import { SignalingClient, PeerSession } from "<package>/client"`. */
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
export { Emitter } from "./emitter.js";
export {
  isSessionSignal,
  PeerSession,
  type PeerSessionEvents,
  type PeerSessionOptions,
  type SessionSignal,
} from "./peer-session.js";
export {
  type ConnectionState,
  roomUrl,
  SignalingClient,
  type SignalingClientOptions,
  SignalingError,
  type SignalingErrorCode,
  type SignalingEvents,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./signaling-client.js";
