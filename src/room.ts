/**
 * The room as a pure state machine: it takes a connection's parsed message and returns what to send to whom.
 * It knows nothing of WebSockets or Durable Objects; `C` is whatever handle the host uses for a connection.
 * Its maps are a cache: the host rebuilds them with `restore()` after hibernation or eviction.
 */
import type { Limits } from "./limits.js";
import {
  type ClientMessage,
  type ErrorCode,
  errorMessage,
  type ListPeersMessage,
  type PingMessage,
  type RegisterMessage,
  type RelayMessage,
  type ServerMessage,
} from "./protocol.js";
import type { Revision } from "./revision.js";

export interface Outbound<C> {
  to: C;
  message: ServerMessage;
}

/** What the host must keep with a connection so that `restore()` can rebuild the room after a wake. */
export interface Registration {
  peerId: string;
  presence: boolean;
}

export type RoomLimits = Pick<Limits, "maxPeersPerRoom">;

export class Room<C> {
  readonly #byPeerId = new Map<string, C>();
  readonly #byConnection = new Map<C, Registration>();
  readonly #watchers = new Set<C>();

  constructor(
    private readonly limits: RoomLimits,
    private readonly revision: Revision,
  ) {}

  get peerCount(): number {
    return this.#byPeerId.size;
  }

  registrationOf(connection: C): Registration | undefined {
    return this.#byConnection.get(connection);
  }

  /**
   * Puts back a registration the host kept across a wake. Should two connections claim one id (which the room
   * never allows, so only a host bug could cause it), the first restored keeps it.
   */
  restore(connection: C, registration: Registration): void {
    if (this.#byPeerId.has(registration.peerId)) return;
    this.#add(connection, registration);
  }

  handle(connection: C, message: ClientMessage): Outbound<C>[] {
    switch (message.type) {
      case "register":
        return this.#handleRegister(connection, message);
      case "list_peers":
        return this.#handleListPeers(connection, message);
      case "relay":
        return this.#handleRelay(connection, message);
      case "ping":
        return this.#handlePing(connection, message);
      default:
        return assertNever(message);
    }
  }

  /** The connection is gone. Its peer leaves only if this connection is still the one registered under the id. */
  leave(connection: C): Outbound<C>[] {
    const registration = this.#byConnection.get(connection);
    this.#watchers.delete(connection);
    if (!registration) return [];
    this.#byConnection.delete(connection);
    if (this.#byPeerId.get(registration.peerId) !== connection) return [];
    this.#byPeerId.delete(registration.peerId);
    const rev = this.revision.next();
    return this.#toWatchers({ type: "peer_left", peer_id: registration.peerId, rev });
  }

  #handleRegister(connection: C, message: RegisterMessage): Outbound<C>[] {
    const { peer_id: peerId, request_id: requestId } = message;
    const presence = message.presence ?? false;
    const current = this.#byConnection.get(connection);
    if (current && current.peerId !== peerId) {
      return this.#error(
        connection,
        "already_registered",
        `this connection is already registered as "${current.peerId}"`,
        requestId,
      );
    }
    if (!current) {
      if (this.#byPeerId.has(peerId)) {
        return this.#error(
          connection,
          "peer_id_taken",
          `peer id "${peerId}" is held by another connection in this room`,
          requestId,
        );
      }
      if (this.#byPeerId.size >= this.limits.maxPeersPerRoom) {
        return this.#error(
          connection,
          "room_full",
          `room is full: ${this.#byPeerId.size} of ${this.limits.maxPeersPerRoom} peers`,
          requestId,
        );
      }
    }

    const out: Outbound<C>[] = [];
    if (current) {
      current.presence = presence;
    } else {
      // Announce before adding, so the newcomer is not told of its own arrival.
      const rev = this.revision.next();
      out.push(...this.#toWatchers({ type: "peer_joined", peer_id: peerId, rev }));
      this.#add(connection, { peerId, presence });
    }
    if (presence) this.#watchers.add(connection);
    else this.#watchers.delete(connection);

    const answer: ServerMessage = {
      type: "registered",
      peer_id: peerId,
      peers: this.#peersExcept(connection),
      rev: this.revision.current(),
    };
    if (requestId !== undefined) answer.request_id = requestId;
    out.push({ to: connection, message: answer });
    return out;
  }

  #handleListPeers(connection: C, message: ListPeersMessage): Outbound<C>[] {
    const answer: ServerMessage = { type: "peers", peers: this.#peersExcept(connection), rev: this.revision.current() };
    if (message.request_id !== undefined) answer.request_id = message.request_id;
    return [{ to: connection, message: answer }];
  }

  #handleRelay(connection: C, message: RelayMessage): Outbound<C>[] {
    const sender = this.#byConnection.get(connection);
    if (!sender) {
      return this.#error(
        connection,
        "not_registered",
        "register before relaying: the relay needs your peer id as its sender",
        message.request_id,
      );
    }
    const target = this.#byPeerId.get(message.to);
    if (target === undefined) {
      return this.#error(connection, "unknown_peer", `no peer "${message.to}" in this room`, message.request_id);
    }
    // `from` is always the sender's registered id; whatever the client wrote there is ignored.
    return [{ to: target, message: { type: "relay", from: sender.peerId, data: message.data } }];
  }

  #handlePing(connection: C, message: PingMessage): Outbound<C>[] {
    const answer: ServerMessage = { type: "pong" };
    if (message.request_id !== undefined) answer.request_id = message.request_id;
    return [{ to: connection, message: answer }];
  }

  #add(connection: C, registration: Registration): void {
    this.#byPeerId.set(registration.peerId, connection);
    this.#byConnection.set(connection, registration);
    if (registration.presence) this.#watchers.add(connection);
  }

  #peersExcept(connection: C): string[] {
    const self = this.#byConnection.get(connection)?.peerId;
    const peers: string[] = [];
    for (const peerId of this.#byPeerId.keys()) if (peerId !== self) peers.push(peerId);
    return peers;
  }

  #toWatchers(message: ServerMessage): Outbound<C>[] {
    const out: Outbound<C>[] = [];
    for (const watcher of this.#watchers) out.push({ to: watcher, message });
    return out;
  }

  #error(connection: C, code: ErrorCode, text: string, requestId?: string): Outbound<C>[] {
    return [{ to: connection, message: errorMessage(code, text, requestId) }];
  }
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
