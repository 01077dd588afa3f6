/** What a SignalingClient tells its listeners, and the states it goes through. */
import type { RegisteredMessage } from "../core/wire/protocol.js";
import type { SignalingError } from "./signaling-error.js";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface SignalingEvents extends Record<string, unknown> {
  relay: { from: string; data: unknown };
  "peer-joined": { peerId: string; rev: number };
  "peer-left": { peerId: string; rev: number };
  /** Each time the client has registered, first or again after a reconnect: resynchronise peer lists here. */
  registered: RegisteredMessage;
  state: ConnectionState;
  /** Errors that answer no pending promise, e.g. a relay to a peer that has left (`unknown_peer`). */
  error: SignalingError;
}
