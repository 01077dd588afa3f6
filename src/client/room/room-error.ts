import type { SignalingErrorCode } from "../signaling-error.js";

/**
 * What a room says went wrong, beside the signaling client's own codes (`peer_id_taken`, `unauthorized`, ...):
 * - `wrong_secret`: a peer's signals do not open with this room's secret (or one side has a secret and the other
 *   none); the two cannot connect.
 * - `mesh_full`: the room already holds `maxPeers` peers; `joinRoom` rejects with it.
 * - `gave_up`: the connection to a peer could not be made after every restart (see `PeerSession`).
 * - `message_too_large`, `bad_message`: a peer sent a message over `maxMessageBytes`, or one that is not ours.
 * - `lobby_closed`: the lobby's connection ended before a match was made.
 * - `connection_error`: anything else a peer connection reported.
 */
export type RoomErrorCode =
  | SignalingErrorCode
  | "wrong_secret"
  | "mesh_full"
  | "gave_up"
  | "message_too_large"
  | "bad_message"
  | "lobby_closed"
  | "connection_error";

export class RoomError extends Error {
  override name = "RoomError";
  constructor(
    readonly code: RoomErrorCode,
    message: string,
    /** The peer it is about, when it is about one. */
    readonly peerId?: string,
  ) {
    super(message);
  }
}
