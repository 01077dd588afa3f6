/**
 * The client SDK: `import { joinRoom } from "<package>/client"` for a room of peers in one call, or the layers under
 * it, `SignalingClient` and `PeerSession`.
 */
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
export { CHUNK_BYTES, type RoomMessage } from "./room/channel-messages.js";
export { type FindMatchOptions, findMatch, lobbyUrl } from "./room/find-match.js";
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_PEERS,
  type JoinRoomOptions,
  joinRoom,
  MeshRoom,
  type RoomEvents,
  type RoomPeer,
} from "./room/join-room.js";
export { RoomError, type RoomErrorCode } from "./room/room-error.js";
export { isSealed, SEAL_ITERATIONS, type Sealed, SignalSeal } from "./room/signal-seal.js";
export {
  type ConnectionState,
  SignalingClient,
  type SignalingEvents,
} from "./signaling-client.js";
export { SignalingError, type SignalingErrorCode } from "./signaling-error.js";
export { roomUrl, type WebSocketConstructor, type WebSocketLike } from "./websocket.js";
