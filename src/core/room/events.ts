/**
 * What the room understands and what it says, in no wire format. A codec (protocols/<name>/codec.ts) turns a protocol's frames
 * into `RoomCommand`s and `RoomEvent`s into its frames, so one room serves every protocol.
 */

import type { ErrorCode } from "../wire/error-codes.js";

export { ERROR_CODES, type ErrorCode } from "../wire/error-codes.js";

export type RoomCommand =
  | {
      type: "register";
      peerId: string;
      presence: boolean;
      resumeToken?: string;
      /** With a resume: the `seq` of the last relay the client received on its previous connection. */
      lastSeq?: number;
      /**
       * The client's own secret for the id, used as its resume token instead of a fresh one (PeerJS clients bring
       * their own token and present it again when they reconnect).
       */
      ownToken?: string;
      /** What others see of the peer beside its id (JSON, within `maxMetaBytes` and `maxMetaDepth`). */
      meta?: unknown;
      /** Answer with the listed peers' `meta` (`peerMeta`). */
      withMeta?: boolean;
      requestId?: string;
    }
  /** `limit` and `after` ask for one page of the list, in id order, from after the id `after`. */
  | { type: "list_peers"; limit?: number; after?: string; withMeta?: boolean; requestId?: string }
  /**
   * `data` is the relayed value's JSON text, carried as it came. `seq`: the client's own number for the relay (see
   * `Registration.acked`). `keepFor` (ms): a relay to an id nobody holds is kept that long for whoever registers it next, instead of being
   * refused (PeerJS queues messages for peers that have not connected yet); its sender is told if it runs out.
   */
  | { type: "relay"; to: string; data: string; seq?: number; keepFor?: number; requestId?: string }
  | { type: "ping"; requestId?: string };

export type RoomEvent =
  | {
      type: "registered";
      peerId: string;
      peers: string[];
      /** `peers` as JSON already, when the room had it (a codec may splice it in rather than encode the list). */
      peersJson?: string;
      rev: number;
      /** Presents the id back with `register {resume_token}` after a drop, to take it over. */
      resumeToken: string;
      /** The id was taken over by resume (the messages kept for it follow). */
      resumed?: boolean;
      /** With `resumed`: the highest of the client's relay numbers the room had taken in. */
      acked?: number;
      /** With `resumed`: whether every relay handed to the last connection after the client's `last_seq` follows. */
      recovered?: boolean;
      /** Asked for with `withMeta`: the `meta` of each listed peer that has one. */
      peerMeta?: Record<string, unknown>;
      requestId?: string;
    }
  /** `next`: where the following page starts (`list_peers {after: next}`), when this one was not the last. */
  | {
      type: "peers";
      peers: string[];
      rev: number;
      next?: string;
      peerMeta?: Record<string, unknown>;
      requestId?: string;
    }
  /** `data`: the relayed value's JSON text. `seq` numbers the relays handed to one connection, from 1 (set when delivered). */
  | { type: "relay"; from: string; data: string; seq?: number }
  | { type: "peer_joined"; peerId: string; rev: number; meta?: unknown }
  | { type: "peer_left"; peerId: string; rev: number }
  | { type: "pong"; requestId?: string }
  /** The room has taken in every relay of the client's numbered up to `seq`. */
  | { type: "ack"; seq: number }
  /** Not a message: the host closes this connection with `code` (e.g. 4001 when its id was taken over). */
  | { type: "disconnect"; code: number; reason: string }
  | RoomError;

export interface RoomError {
  type: "error";
  code: ErrorCode;
  /** Human text naming what was wrong and, where there is one, the limit and the actual value. */
  message: string;
  requestId?: string;
  /** For `undeliverable` and `target_busy`: the peer the relays were for; for `undeliverable`, how many were not delivered. */
  to?: string;
  count?: number;
  /** Set when handed over, for an error about the connection's relays (see room-service.ts, `#answer`). */
  seq?: number;
}

/**
 * One event for one connection. A broadcast is many of these sharing one `event` object, so that a codec can
 * encode it once.
 */
export interface Outbound<C> {
  to: C;
  event: RoomEvent;
}

export function roomError(code: ErrorCode, message: string, requestId?: string): RoomError {
  const error: RoomError = { type: "error", code, message };
  if (requestId !== undefined) error.requestId = requestId;
  return error;
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
