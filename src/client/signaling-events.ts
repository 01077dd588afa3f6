/** What a SignalingClient tells its listeners, and the states it goes through. */
import type { RegisteredMessage } from "../core/wire/protocol.js";
import type { SignalingError } from "./signaling-error.js";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface SignalingEvents extends Record<string, unknown> {
  relay: { from: string; data: unknown };
  /** `meta`: what the peer registered with, when it has one. */
  "peer-joined": { peerId: string; rev: number; meta?: unknown };
  "peer-left": { peerId: string; rev: number };
  /** Each time the client has registered, first or again after a reconnect: resynchronise peer lists here. */
  registered: RegisteredMessage;
  /**
   * Registered again after a reconnect: whether the id was taken back (`resumed`), whether everything the server
   * had handed the last connection came back too (`recovered`; false after a server restart that lost it), and how
   * many relays were sent again. Whatever depends on signals that may have been lost (a negotiation) re-checks here.
   */
  rejoined: { resumed: boolean; recovered: boolean; resent: number };
  state: ConnectionState;
  /** Errors that answer no pending promise, e.g. a relay to a peer that has left (`unknown_peer`). */
  error: SignalingError;
}
