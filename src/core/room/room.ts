/**
 * The room as a pure state machine: a connection's command and the facts of the moment in, the events to send to whom
 * out, in no wire format. `C` is whatever handle the host uses for a connection. The facts (the time, which
 * connections are alive, what was last handed to each) are passed in with every call; the room never calls out.
 * Its maps are a cache: the host rebuilds them with `restore()` after a wake, and reservations come back from their
 * store. Admission is the front's. Relayed data is carried as its JSON text, as it came.
 *
 * A peer whose connection drops (rather than closing cleanly) keeps its id for a grace period: it stays in peer
 * lists, relays to it are kept, and it takes the id back by registering with its resume token. If it does not,
 * every sender is told how many relays were not delivered, and the peer leaves.
 */
import { CLOSE_IDLE, CLOSE_REPLACED } from "../wire/close-codes.js";
import {
  assertNever,
  type ErrorCode,
  type Outbound,
  type RoomCommand,
  type RoomError,
  type RoomEvent,
  roomError,
} from "./events.js";
import { page } from "./page.js";
import type { Reservation, Reservations } from "./reservations.js";
import { newResumeToken, tokensEqual } from "./resume-token.js";
import type { Revision } from "./revision.js";

/** What the host must keep with a connection so that `restore()` can rebuild the room after a wake. */
export interface Registration {
  peerId: string;
  presence: boolean;
  token: string;
  /**
   * The highest of the client's own relay numbers (`seq` on its relays) the room has taken in, carried across
   * resumes: a relay numbered at or below it is one the room has already, sent again, and is dropped.
   */
  acked: number;
  /** What others see of the peer beside its id (see `RegisterMessage.meta`). */
  meta?: unknown;
}

/** Relays a client may send before the room tells it, in one cumulative `ack`, which it has. */
export const ACK_EVERY = 16;

export interface RoomOptions {
  revision: Revision;
  reservations: Reservations;
  /** How long a dropped peer's id is held for it, in ms. */
  graceMs: number;
  /** Told of every peer that joins or leaves, and why it left (for webhooks); nothing is awaited. */
  onPresence?: (change: PresenceChange) => void;
}

/**
 * A relay handed to a connection, which its client may not have received if the connection then dropped; or an
 * answer to one of the connection's own relays (an error such as `unknown_peer`), kept the same way so that its
 * sender is told even across a drop: `from` is then "" (no peer id is empty) and `data` the error event's JSON.
 */
export interface HandedRelay {
  seq: number;
  from: string;
  /** The relayed data's JSON text. */
  data: string;
}

/** What the room is told with every command: it asks nothing of anyone. */
export interface RoomFacts<C> {
  /** The time of the command (ms). */
  readonly now: number;
  /** False for a connection that showed it keeps alive and then fell silent too long: it is dropped when next met. */
  isLive(connection: C): boolean;
  /** The relays last handed to `connection` (oldest first), which a drop may have lost in flight. */
  handed(connection: C): readonly HandedRelay[];
  /**
   * The `seq` from which `handed(connection)` holds every relay handed to it: past the ring's reach, or after a
   * wake that lost the ring, a resume cannot promise to bring back what the client missed.
   */
  replayFrom(connection: C): number;
}

type Command<T extends RoomCommand["type"]> = Extract<RoomCommand, { type: T }>;

/**
 * A peer joined or left. Why it left: `goodbye` (it closed cleanly), `expired` (it dropped and did not come back
 * within the grace period), `timed_out` (the server took it for dead after a silence, and it did not come back),
 * `replaced` (a new connection took its id over with its resume token: a `joined` with `resumed` follows).
 */
export type PresenceChange =
  | { type: "joined"; peerId: string; resumed?: true }
  | { type: "left"; peerId: string; reason: "goodbye" | "expired" | "timed_out" | "replaced" };

/** The token of a reservation that holds relays for an id nobody registered yet: anyone may claim it. */
const OPEN_MAILBOX = "";

export class Room<C> {
  readonly #byPeerId = new Map<string, C>();
  readonly #byConnection = new Map<C, Registration>();
  readonly #watchers = new Set<C>();
  /** The `acked` last told to each connection, so that acks go out one per `ACK_EVERY` relays, not one per relay. */
  readonly #ackSent = new Map<C, number>();
  readonly #revision: Revision;
  readonly #reservations: Reservations;
  readonly #graceMs: number;
  readonly #onPresence: ((change: PresenceChange) => void) | undefined;
  /** Ids held after the server took their connection for dead (a `timed_out` if they never come back). */
  readonly #timedOut = new Set<string>();
  /**
   * The room's ids (registered, then held), as an array and as JSON, kept from one registration to the next: a
   * newcomer's answer lists everyone else, and building and encoding that list again at each of a thousand joins
   * was most of what a join cost. A newcomer's own id is appended; anything else that changes who is listed (a
   * leave, a reservation made or ended) makes it be built again when next asked for.
   */
  #list: { ids: string[]; json: string; before: string; version: number } | undefined;
  /** Grows whenever a registered id goes (with `Reservations.changes`, what `#list` is checked against). */
  #removals = 0;

  constructor(options: RoomOptions) {
    this.#revision = options.revision;
    this.#reservations = options.reservations;
    this.#graceMs = options.graceMs;
    this.#onPresence = options.onPresence;
  }

  get peerCount(): number {
    return this.#byPeerId.size;
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  /** The registered peer ids, in no particular order. */
  peerIds(): string[] {
    return [...this.#byPeerId.keys()];
  }

  /** No peer registered and no id held: nothing of the room is worth keeping. */
  get isEmpty(): boolean {
    return this.#byPeerId.size === 0 && this.#reservations.size === 0;
  }

  /** The room emptied and its storage is going: its revision starts again (see Revision.reset). */
  forget(): void {
    this.#revision.reset();
  }

  /** The ids held for peers that dropped, and what their mailboxes keep. */
  reservationStats(): { count: number; messages: number; bytes: number } {
    const r = this.#reservations;
    return { count: r.size, messages: r.keptMessages, bytes: r.keptBytes };
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
    this.#ackSent.set(connection, registration.acked);
  }

  handle(connection: C, command: RoomCommand, facts: RoomFacts<C>): Outbound<C>[] {
    switch (command.type) {
      case "register":
        return this.#handleRegister(connection, command, facts);
      case "list_peers":
        return this.#handleListPeers(connection, command, facts);
      case "relay":
        return this.#handleRelay(connection, command, facts);
      case "ping":
        return this.#handlePing(connection, command);
      default:
        return assertNever(command);
    }
  }

  /**
   * The connection is gone. Its peer leaves only if this connection is still the one registered under the id:
   * at once after a clean goodbye, or, after a drop, once its reservation runs out without a resume.
   */
  leave(connection: C, how: "clean" | "dropped", facts: RoomFacts<C>): Outbound<C>[] {
    const registration = this.#byConnection.get(connection);
    this.#watchers.delete(connection);
    this.#ackSent.delete(connection);
    if (!registration) return [];
    this.#byConnection.delete(connection);
    if (this.#byPeerId.get(registration.peerId) !== connection) return [];
    this.#byPeerId.delete(registration.peerId);
    this.#removals++;
    if (how === "dropped") {
      const { peerId, token, presence, acked, meta } = registration;
      const replayFrom = facts.replayFrom(connection);
      const until = facts.now + this.#graceMs;
      this.#reservations.reserve({ peerId, token, presence, until, acked, replayFrom, meta });
      for (const { seq, from, data } of facts.handed(connection)) this.#reservations.keep(peerId, from, data, seq);
      return [];
    }
    this.#reservations.unclaim(registration.peerId);
    this.#onPresence?.({ type: "left", peerId: registration.peerId, reason: "goodbye" });
    return this.#toWatchers({ type: "peer_left", peerId: registration.peerId, rev: this.#revision.next() });
  }

  /** Ends the reservations whose time is up, telling every sender still here what was not delivered. */
  expire(facts: RoomFacts<C>): Outbound<C>[] {
    const out: Outbound<C>[] = [];
    for (const reservation of this.#reservations.expired(facts.now)) out.push(...this.#endReservation(reservation));
    return out;
  }

  /** Drops every connection that showed it keeps alive and then fell silent for too long (`facts.isLive`). */
  sweep(facts: RoomFacts<C>): Outbound<C>[] {
    const out: Outbound<C>[] = [];
    for (const connection of [...this.#byConnection.keys()]) {
      if (!facts.isLive(connection)) out.push(...this.#drop(connection, facts));
    }
    return out;
  }

  /**
   * After a start that kept no connection: the ids that a crash, a kill or a deploy left claimed (where claims are
   * persisted) are held as after any drop. Nobody is told: whoever was watching lost its connection too, and a
   * newcomer's peer list includes them.
   */
  adoptOrphans(facts: RoomFacts<C>): string[] {
    if (this.#byConnection.size > 0) return [];
    return this.#reservations.adoptOrphans(facts.now + this.#graceMs);
  }

  /** When the room next needs to act on its own (a reservation running out), or undefined. */
  nextDeadline(): number | undefined {
    return this.#reservations.nextDeadline();
  }

  /** Grows whenever an id is reserved or released, so that a host can tell when `nextDeadline` may have moved. */
  get reservationChanges(): number {
    return this.#reservations.changes;
  }

  #handleRegister(connection: C, command: Command<"register">, facts: RoomFacts<C>): Outbound<C>[] {
    const { peerId, presence, requestId } = command;
    const current = this.#byConnection.get(connection);
    if (current) {
      if (current.peerId !== peerId) {
        const text = `this connection is already registered as "${current.peerId}"`;
        return [{ to: connection, event: roomError("already_registered", text, requestId) }];
      }
      // Not written to its claim: a presence turned on and off in a loop must not cost a row each time (and a
      // reservation's presence is never read: a resume says its own).
      current.presence = presence;
      if (command.meta !== undefined) current.meta = command.meta;
      this.#watch(connection, presence);
      return [this.#registered(connection, current, false, command)];
    }

    const out: Outbound<C>[] = [];
    const holder = this.#byPeerId.get(peerId);
    if (holder !== undefined) {
      const holderToken = this.#byConnection.get(holder)?.token ?? "";
      if (command.resumeToken !== undefined && tokensEqual(command.resumeToken, holderToken)) {
        // A takeover: the old connection is closed and forgotten, and the peer never left. What it was handed
        // past the client's `last_seq` may never have arrived: it goes to the new connection.
        const unacked = facts.handed(holder);
        const held = this.#byConnection.get(holder);
        const carried = {
          token: holderToken,
          acked: held?.acked ?? 0,
          replayFrom: facts.replayFrom(holder),
          meta: held?.meta,
        };
        this.#forget(holder);
        this.#onPresence?.({ type: "left", peerId, reason: "replaced" });
        this.#onPresence?.({ type: "joined", peerId, resumed: true });
        out.push({ to: holder, event: { type: "disconnect", code: CLOSE_REPLACED, reason: "replaced" } });
        out.push(...this.#admit(connection, command, carried));
        for (const handed of unacked) {
          if (command.lastSeq === undefined || handed.seq > command.lastSeq) out.push(replayed(connection, handed));
        }
        return out;
      }
      if (facts.isLive(holder)) {
        const text = `peer id "${peerId}" is held by another connection in this room`;
        return [{ to: connection, event: roomError("peer_id_taken", text, requestId) }];
      }
      out.push(...this.#drop(holder, facts));
    }

    let reservation = this.#reservations.get(peerId);
    if (reservation && reservation.until <= facts.now) {
      // Its time is up and the alarm has not come yet (alarms come at or after the time asked): it ends now.
      out.push(...this.#endReservation(reservation));
      reservation = undefined;
    }
    if (reservation?.token === OPEN_MAILBOX) {
      // Relays kept for an id nobody held: whoever registers it first receives them.
      const kept = this.#reservations.release(peerId);
      out.push(...this.#toWatchers(this.#joined(command)));
      out.push(...this.#admit(connection, command));
      for (const { from, data } of kept) out.push(relay(connection, from, data));
      return out;
    }
    if (reservation) {
      if (command.resumeToken === undefined || !tokensEqual(command.resumeToken, reservation.token)) {
        const text = `peer id "${peerId}" is held for its peer to resume; present its resume_token to take it over`;
        return [...out, { to: connection, event: roomError("peer_id_taken", text, requestId) }];
      }
      const kept = this.#reservations.release(peerId);
      this.#timedOut.delete(peerId);
      out.push(...this.#admit(connection, command, reservation));
      for (const message of kept) {
        // Relays handed to the old connection that the client says it received are not sent twice.
        const { seq } = message;
        const received = seq !== undefined && command.lastSeq !== undefined && seq <= command.lastSeq;
        if (!received) out.push(replayed(connection, message));
      }
      return out;
    }

    // Announce before adding, so the newcomer is not told of its own arrival.
    out.push(...this.#toWatchers(this.#joined(command)));
    return [...out, ...this.#admit(connection, command)];
  }

  #joined({ peerId, meta }: Command<"register">): RoomEvent {
    this.#onPresence?.({ type: "joined", peerId });
    const event: RoomEvent = { type: "peer_joined", peerId, rev: this.#revision.next() };
    if (meta !== undefined) event.meta = meta;
    return event;
  }

  #handleListPeers(
    connection: C,
    { limit, after, withMeta, requestId }: Command<"list_peers">,
    facts: RoomFacts<C>,
  ): Outbound<C>[] {
    const out = this.sweep(facts);
    const { peers, next } = page(this.#peersExcept(connection), limit, after);
    const answer: RoomEvent = { type: "peers", peers, rev: this.#revision.current() };
    if (next !== undefined) answer.next = next;
    if (withMeta) answer.peerMeta = this.#metaOf(peers);
    if (requestId !== undefined) answer.requestId = requestId;
    return [...out, { to: connection, event: answer }];
  }

  #handleRelay(connection: C, command: Command<"relay">, facts: RoomFacts<C>): Outbound<C>[] {
    const { seq, requestId } = command;
    const sender = this.#byConnection.get(connection);
    if (!sender) {
      const text = "register before relaying: the relay needs your peer id as its sender";
      return [{ to: connection, event: roomError("not_registered", text, requestId) }];
    }
    if (seq !== undefined) {
      // Sent again after a resume, and already taken in: dropped, and the client told at once what the room has.
      if (seq <= sender.acked) return [this.#ack(connection, sender)];
      sender.acked = seq;
    }
    const out = this.#route(connection, sender, command, facts);
    const told = this.#ackSent.get(connection) ?? 0;
    if (seq !== undefined && sender.acked - told >= ACK_EVERY) out.push(this.#ack(connection, sender));
    return out;
  }

  /** Where a relay goes: to its live target, or kept for a reserved one (or, with `keepFor`, for whoever comes). */
  #route(connection: C, sender: Registration, command: Command<"relay">, facts: RoomFacts<C>): Outbound<C>[] {
    const { to, data, keepFor, requestId } = command;
    const out: Outbound<C>[] = [];
    const target = this.#byPeerId.get(to);
    if (target !== undefined) {
      // `from` is always the sender's registered id; whatever the client wrote there is ignored.
      if (facts.isLive(target)) return [{ to: target, event: { type: "relay", from: sender.peerId, data } }];
      out.push(...this.#drop(target, facts));
    }
    if (!this.#reservations.get(to)) {
      if (keepFor === undefined || keepFor <= 0) {
        return [{ to: connection, event: relayError("unknown_peer", `no peer "${to}" in this room`, to, requestId) }];
      }
      this.#reservations.reserve({
        peerId: to,
        token: OPEN_MAILBOX,
        presence: false,
        until: facts.now + keepFor,
        acked: 0,
        replayFrom: 1,
      });
    }
    const kept = this.#reservations.keep(to, sender.peerId, data);
    if (!kept.kept)
      out.push({ to: connection, event: relayError("mailbox_full", `${kept.why}; not kept`, to, requestId) });
    return out;
  }

  /** The cumulative ack of the client's relays the room has taken in. */
  #ack(connection: C, sender: Registration): Outbound<C> {
    this.#ackSent.set(connection, sender.acked);
    return { to: connection, event: { type: "ack", seq: sender.acked } };
  }

  #handlePing(connection: C, { requestId }: Command<"ping">): Outbound<C>[] {
    const answer: RoomEvent = { type: "pong" };
    if (requestId !== undefined) answer.requestId = requestId;
    return [{ to: connection, event: answer }];
  }

  /**
   * Registers `connection` as the command's peer id, and answers it. `resumed`: what the id had when it was taken
   * back: its resume token, the client's relays taken in so far, and from which of the relays handed to its last
   * connection a replay is whole. A resume keeps its token (a new one per resume would lock out a client whose
   * answer was lost in a drop: it still holds the old one); a new registration gets a fresh one, or the client's own.
   */
  #admit(
    connection: C,
    command: Command<"register">,
    resumed?: { token: string; acked: number; replayFrom: number; meta?: unknown },
  ): Outbound<C>[] {
    const { peerId, presence } = command;
    const acked = resumed?.acked ?? 0;
    const registration: Registration = {
      peerId,
      presence,
      token: command.ownToken ?? resumed?.token ?? newResumeToken(),
      acked,
    };
    // A resume that does not say its meta again keeps the one it had.
    const meta = command.meta ?? resumed?.meta;
    if (meta !== undefined) registration.meta = meta;
    this.#add(connection, registration);
    this.#reservations.claim(registration);
    this.#ackSent.set(connection, acked);
    const answer = this.#registered(connection, registration, resumed !== undefined, command);
    if (resumed && answer.event.type === "registered") {
      // Whole when every relay handed to the last connection after the client's `last_seq` is still here.
      answer.event.recovered = resumed.replayFrom <= (command.lastSeq ?? 0) + 1;
    }
    return [answer];
  }

  #registered(
    connection: C,
    registration: Registration,
    resumed: boolean,
    { requestId, withMeta }: Command<"register">,
  ): Outbound<C> {
    const { peers, json } = this.#listFor(connection);
    const answer: RoomEvent = {
      type: "registered",
      peerId: registration.peerId,
      peers,
      ...(json === undefined ? {} : { peersJson: json }),
      rev: this.#revision.current(),
      resumeToken: registration.token,
      // Always said, 0 for a new registration: it also tells a client that this server acknowledges relays.
      acked: registration.acked,
    };
    if (resumed) answer.resumed = true;
    if (withMeta) answer.peerMeta = this.#metaOf(peers);
    if (requestId !== undefined) answer.requestId = requestId;
    return { to: connection, event: answer };
  }

  /** The `meta` of each of `peers` that has one, connected or held for a resume. */
  #metaOf(peers: readonly string[]): Record<string, unknown> {
    // No prototype: "__proto__" is a valid peer id.
    const metas: Record<string, unknown> = Object.create(null);
    for (const peerId of peers) {
      const connection = this.#byPeerId.get(peerId);
      const meta =
        connection === undefined ? this.#reservations.get(peerId)?.meta : this.#byConnection.get(connection)?.meta;
      if (meta !== undefined) metas[peerId] = meta;
    }
    return metas;
  }

  /** A connection taken as dropped by the server (no sign of life): closed, and its id reserved. */
  #drop(connection: C, facts: RoomFacts<C>): Outbound<C>[] {
    const peerId = this.#byConnection.get(connection)?.peerId;
    if (peerId !== undefined && this.#byPeerId.get(peerId) === connection) this.#timedOut.add(peerId);
    return [
      ...this.leave(connection, "dropped", facts),
      { to: connection, event: { type: "disconnect", code: CLOSE_IDLE, reason: "no sign of life" } },
    ];
  }

  #endReservation(reservation: Reservation): Outbound<C>[] {
    const kept = this.#reservations.release(reservation.peerId);
    const counts = new Map<string, number>();
    for (const { from } of kept) if (from !== "") counts.set(from, (counts.get(from) ?? 0) + 1);
    const out: Outbound<C>[] = [];
    for (const [from, count] of counts) {
      const text = `${count} relay(s) to "${reservation.peerId}" were not delivered: it dropped and did not come back`;
      const error = roomError("undeliverable", text);
      error.to = reservation.peerId;
      error.count = count;
      const sender = this.#byPeerId.get(from);
      if (sender !== undefined) out.push({ to: sender, event: error });
      // A sender away itself (dropped, its id held) is told when it comes back.
      else if (this.#reservations.get(from)) this.#reservations.keepAnswer(from, JSON.stringify(error));
    }
    // An open mailbox never had a peer: nobody saw it arrive, so nobody is told it left.
    if (reservation.token !== OPEN_MAILBOX) {
      const reason = this.#timedOut.delete(reservation.peerId) ? "timed_out" : "expired";
      this.#onPresence?.({ type: "left", peerId: reservation.peerId, reason });
      out.push(...this.#toWatchers({ type: "peer_left", peerId: reservation.peerId, rev: this.#revision.next() }));
    }
    return out;
  }

  #add(connection: C, registration: Registration): void {
    const list = this.#currentList(false);
    if (list && !this.#byPeerId.has(registration.peerId)) {
      list.before = list.json;
      list.ids.push(registration.peerId);
      list.json =
        list.json === "" ? JSON.stringify(registration.peerId) : `${list.json},${JSON.stringify(registration.peerId)}`;
    } else {
      this.#list = undefined;
    }
    this.#byPeerId.set(registration.peerId, connection);
    this.#byConnection.set(connection, registration);
    this.#watch(connection, registration.presence);
  }

  #forget(connection: C): void {
    this.#ackSent.delete(connection);
    const registration = this.#byConnection.get(connection);
    this.#byConnection.delete(connection);
    this.#watchers.delete(connection);
    if (registration && this.#byPeerId.get(registration.peerId) === connection) {
      this.#byPeerId.delete(registration.peerId);
      this.#removals++;
    }
  }

  #watch(connection: C, presence: boolean): void {
    if (presence) this.#watchers.add(connection);
    else this.#watchers.delete(connection);
  }

  /**
   * The ids listed to `connection` and their JSON (`[...]`): from `#list` when the connection's id is the one last
   * appended to it (a newcomer's answer), else built.
   */
  #listFor(connection: C): { peers: string[]; json?: string } {
    const self = this.#byConnection.get(connection)?.peerId;
    const list = this.#currentList(true);
    if (list && self !== undefined && list.ids[list.ids.length - 1] === self) {
      return { peers: list.ids.slice(0, -1), json: `[${list.before}]` };
    }
    return { peers: this.#peersExcept(connection) };
  }

  /** `#list` if it still lists the room as it is; else, when `build`, built again. */
  #currentList(build: boolean): { ids: string[]; json: string; before: string; version: number } | undefined {
    const version = this.#reservations.changes + this.#removals * 2 ** 26;
    const size = this.#byPeerId.size + this.#reservations.size;
    const list = this.#list;
    if (list && list.version === version && list.ids.length === size) return list;
    this.#list = undefined;
    if (!build) return undefined;
    const ids = [...this.#byPeerId.keys(), ...this.#reservations.peerIds()];
    const parts = ids.map((id) => JSON.stringify(id));
    // `before`: all but the last, which is what the last one to come is told.
    this.#list = { ids, json: parts.join(","), before: parts.slice(0, -1).join(","), version };
    return this.#list;
  }

  #peersExcept(connection: C): string[] {
    const self = this.#byConnection.get(connection)?.peerId;
    const peers: string[] = [];
    for (const peerId of this.#byPeerId.keys()) if (peerId !== self) peers.push(peerId);
    for (const peerId of this.#reservations.peerIds()) if (peerId !== self) peers.push(peerId);
    return peers;
  }

  #toWatchers(event: RoomEvent): Outbound<C>[] {
    const out: Outbound<C>[] = [];
    for (const watcher of this.#watchers) out.push({ to: watcher, event });
    return out;
  }
}

/** What a resume hands back: a relay, or an answer to one of the client's own relays (see `HandedRelay`). */
function replayed<C>(to: C, { from, data }: { from: string; data: string }): Outbound<C> {
  return from === "" ? { to, event: JSON.parse(data) as RoomError } : relay(to, from, data);
}

function relay<C>(to: C, from: string, data: string): Outbound<C> {
  return { to, event: { type: "relay", from, data } };
}

/** An error about a relay, naming its target so that a sender can tell which of its relays it is about. */
function relayError(code: ErrorCode, message: string, to: string, requestId?: string): RoomError {
  const error = roomError(code, message, requestId);
  error.to = to;
  return error;
}
