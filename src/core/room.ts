/**
 * The room as a pure state machine: it takes a connection's command and returns the events to send to whom, in
 * no wire format. It knows nothing of sockets, codecs or Durable Objects; `C` is whatever handle the host uses
 * for a connection. Its maps are a cache: the host rebuilds them with `restore()` after hibernation or eviction.
 * How many connections a room admits is decided before any command reaches it (pipeline.ts).
 */
import { assertNever, type Outbound, type RoomCommand, type RoomEvent, roomError } from "./events.js";
import type { Revision } from "./revision.js";

/** What the host must keep with a connection so that `restore()` can rebuild the room after a wake. */
export interface Registration {
  peerId: string;
  presence: boolean;
}

type Command<T extends RoomCommand["type"]> = Extract<RoomCommand, { type: T }>;

export class Room<C> {
  readonly #byPeerId = new Map<string, C>();
  readonly #byConnection = new Map<C, Registration>();
  readonly #watchers = new Set<C>();

  constructor(private readonly revision: Revision) {}

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

  handle(connection: C, command: RoomCommand): Outbound<C>[] {
    switch (command.type) {
      case "register":
        return this.#handleRegister(connection, command);
      case "list_peers":
        return this.#handleListPeers(connection, command);
      case "relay":
        return this.#handleRelay(connection, command);
      case "ping":
        return this.#handlePing(connection, command);
      default:
        return assertNever(command);
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
    return this.#toWatchers({ type: "peer_left", peerId: registration.peerId, rev });
  }

  #handleRegister(connection: C, { peerId, presence, requestId }: Command<"register">): Outbound<C>[] {
    const current = this.#byConnection.get(connection);
    if (current && current.peerId !== peerId) {
      const text = `this connection is already registered as "${current.peerId}"`;
      return [{ to: connection, event: roomError("already_registered", text, requestId) }];
    }
    if (!current && this.#byPeerId.has(peerId)) {
      const text = `peer id "${peerId}" is held by another connection in this room`;
      return [{ to: connection, event: roomError("peer_id_taken", text, requestId) }];
    }

    const out: Outbound<C>[] = [];
    if (current) {
      current.presence = presence;
    } else {
      // Announce before adding, so the newcomer is not told of its own arrival.
      out.push(...this.#toWatchers({ type: "peer_joined", peerId, rev: this.revision.next() }));
      this.#add(connection, { peerId, presence });
    }
    if (presence) this.#watchers.add(connection);
    else this.#watchers.delete(connection);

    const answer: RoomEvent = {
      type: "registered",
      peerId,
      peers: this.#peersExcept(connection),
      rev: this.revision.current(),
    };
    if (requestId !== undefined) answer.requestId = requestId;
    out.push({ to: connection, event: answer });
    return out;
  }

  #handleListPeers(connection: C, { requestId }: Command<"list_peers">): Outbound<C>[] {
    const answer: RoomEvent = { type: "peers", peers: this.#peersExcept(connection), rev: this.revision.current() };
    if (requestId !== undefined) answer.requestId = requestId;
    return [{ to: connection, event: answer }];
  }

  #handleRelay(connection: C, { to, data, requestId }: Command<"relay">): Outbound<C>[] {
    const sender = this.#byConnection.get(connection);
    if (!sender) {
      const text = "register before relaying: the relay needs your peer id as its sender";
      return [{ to: connection, event: roomError("not_registered", text, requestId) }];
    }
    const target = this.#byPeerId.get(to);
    if (target === undefined) {
      return [{ to: connection, event: roomError("unknown_peer", `no peer "${to}" in this room`, requestId) }];
    }
    // `from` is always the sender's registered id; whatever the client wrote there is ignored.
    return [{ to: target, event: { type: "relay", from: sender.peerId, data } }];
  }

  #handlePing(connection: C, { requestId }: Command<"ping">): Outbound<C>[] {
    const answer: RoomEvent = { type: "pong" };
    if (requestId !== undefined) answer.requestId = requestId;
    return [{ to: connection, event: answer }];
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

  #toWatchers(event: RoomEvent): Outbound<C>[] {
    const out: Outbound<C>[] = [];
    for (const watcher of this.#watchers) out.push({ to: watcher, event });
    return out;
  }
}
