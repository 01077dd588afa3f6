/**
 * What each Durable Object class speaks: its protocol, the keepalive the runtime answers for it (one exact pair per
 * object), and the service behind its connection front, with the room's SQLite storage where it has one.
 */

import { type BroadcastProtocol, BroadcastService } from "../core/broadcast/broadcast-service.js";
import type { Config } from "../core/config/config.js";
import type { Outlet, Service } from "../core/connection/service.js";
import { LobbyService } from "../core/lobby/lobby-service.js";
import { fromRoomId, PEERJS_HEARTBEAT, peerjsCodec } from "../core/protocols/peerjs/codec.js";
import { seedCodec } from "../core/protocols/seed/codec.js";
import { webtorrentProtocol } from "../core/protocols/webtorrent/codec.js";
import { yWebrtcProtocol } from "../core/protocols/y-webrtc/codec.js";
import type { Codec } from "../core/room/codec.js";
import type { PresenceChange } from "../core/room/room.js";
import { RoomService } from "../core/room/room-service.js";
import { PING_TEXT, PONG_TEXT } from "../core/wire/protocol.js";
import { SqliteReservationStore, SqliteRevisionStore } from "./sqlite-store.js";

/** What the object shell lends a service beside its outlet. */
export interface ObjectHost {
  ctx: DurableObjectState;
  config: Config;
  /** Peers joining and leaving, for webhooks; absent when none are sent. */
  onPresence?: (change: PresenceChange) => void;
  /**
   * The room holds nothing any more: its storage may go (now, or once the webhooks waiting in it are sent).
   * `forget` tells the room's stores their tables are gone.
   */
  emptied(forget: () => void): void;
}

export interface Endpoint {
  /** The protocol's name, for logs. */
  protocol: string;
  /** The binding of the class in wrangler.toml (and in the self-hosted server's config). */
  binding: "Peers" | "PeerjsRooms" | "Topics" | "Trackers" | "Lobbies";
  /** The exact keepalive text the runtime answers without waking the object, and its answer. */
  keepalive: [request: string, response: string];
  service(outlet: Outlet<WebSocket, unknown>, host: ObjectHost): Service<WebSocket, unknown>;
  /** The peer ids connected, in the protocol's own form. */
  peerIds?(service: Service<WebSocket, unknown>): string[];
}

/** A room that relays to peer ids, with its reservations and revision in the object's SQLite. */
function room(
  protocol: string,
  binding: Endpoint["binding"],
  codec: Codec,
  keepalive: [string, string],
  peerId = (id: string) => id,
): Endpoint {
  return {
    protocol,
    binding,
    keepalive,
    service: (outlet, { ctx, config, onPresence, emptied }) => {
      const revisionStore = new SqliteRevisionStore(ctx.storage.sql);
      const reservationStore = new SqliteReservationStore(ctx.storage.sql);
      return new RoomService(outlet, {
        codec,
        revisionStore,
        reservationStore,
        persistRegistrations: config.persistRegistrations,
        ...(onPresence ? { onPresence } : {}),
        // A room that empties leaves nothing behind: rooms opened by the thousand and left cost no storage.
        onEmpty: () => {
          if (!revisionStore.used && !reservationStore.used && !onPresence) return;
          emptied(() => {
            revisionStore.forget();
            reservationStore.forget();
          });
        },
      });
    },
    peerIds: (service) => (service instanceof RoomService ? service.room.peerIds().map(peerId) : []),
  };
}

/** Topics or swarms, held only in the sockets' attachments: nothing stored. */
function broadcast<Command, Event extends object, S>(
  protocol: string,
  binding: Endpoint["binding"],
  make: () => BroadcastProtocol<WebSocket, Command, Event, S>,
): Endpoint {
  // y-webrtc's keepalive is the same text as the seed protocol's: answered without waking the object.
  const keepalive: [string, string] = [PING_TEXT, PONG_TEXT];
  return {
    protocol,
    binding,
    keepalive,
    service: (outlet) => new BroadcastService<WebSocket, Command, Event, S>(outlet, make()),
  };
}

export const endpoints = {
  seed: room("seed", "Peers", seedCodec, [PING_TEXT, PONG_TEXT]),
  // PeerJS's heartbeat needs its own pair, which is why PeerJS has an object class of its own.
  peerjs: room("peerjs", "PeerjsRooms", peerjsCodec, [PEERJS_HEARTBEAT, PEERJS_HEARTBEAT], fromRoomId),
  "y-webrtc": broadcast("y-webrtc", "Topics", () => yWebrtcProtocol<WebSocket>()),
  webtorrent: broadcast("webtorrent", "Trackers", () => webtorrentProtocol<WebSocket>()),
  // Nothing stored: who waits is in the sockets' attachments. Its keepalive is the seed protocol's.
  lobby: {
    protocol: "lobby",
    binding: "Lobbies",
    keepalive: [PING_TEXT, PONG_TEXT],
    service: (outlet) => new LobbyService(outlet),
  },
} satisfies Record<string, Endpoint>;
