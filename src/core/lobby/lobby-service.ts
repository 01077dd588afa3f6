/**
 * A lobby behind the connection front: arrivals grouped into rooms of the lobby's size, in order of arrival (the way
 * matchbox's `next=N` does for games). Each connection is told how many wait in its group as that changes; once the
 * group is full each is told its room (`matched`) and closed. One who leaves before then frees its place. What a
 * connection holds (its group's room) is in its attachment: a wake rebuilds the groups from the sockets.
 *
 * The lobby's messages, server to client: `{"type":"lobby","lobby","size","waiting","room"?}` (`room` only in
 * the `matched` message), `{"type":"matched","room","size"}`, `{"type":"error","code","error"}`. A client sends
 * nothing but keepalives (`{"type":"ping"}`, answered by the runtime).
 */
import type { Departure, FrontErrorCode, Outlet, Service } from "../connection/service.js";
import { FrameProblem, readJsonObject } from "../wire/parse-client.js";
import { CLOSE_NORMAL, isValidRoomName } from "../wire/protocol.js";
import { matchedRoomName, parseLobbyObjectName } from "./lobby-name.js";

/** What a waiting connection keeps in its attachment. */
export interface LobbyState {
  /** The room its group will get. */
  room: string;
}

export class LobbyService<C extends object> implements Service<C, LobbyState> {
  readonly protocol = "lobby";
  // Waiting in a lobby is waiting: a client that never pings may wait as long as it likes.
  readonly heartbeats = false;
  readonly #outlet: Outlet<C, LobbyState>;
  /** Groups by room, each its members in order of arrival. */
  readonly #groups = new Map<string, Set<C>>();
  readonly #roomOf = new Map<C, string>();
  /** The group newcomers join. */
  #forming: string | undefined;
  #matches = 0;

  constructor(outlet: Outlet<C, LobbyState>) {
    this.#outlet = outlet;
  }

  // Read from the object's name when needed: a host may learn its name only with the first request.
  get #lobby(): string {
    return parseLobbyObjectName(this.#outlet.name)?.lobby ?? this.#outlet.name;
  }

  get #size(): number {
    return parseLobbyObjectName(this.#outlet.name)?.size ?? 2;
  }

  opened(connection: C): void {
    let room = this.#forming;
    if (room === undefined || !this.#groups.has(room)) {
      room = matchedRoomName(this.#lobby);
      this.#forming = room;
    }
    this.#join(connection, room);
    this.#outlet.registered(connection);
    this.#outlet.save(connection, { room });
    const group = this.#groups.get(room) as Set<C>;
    if (group.size >= this.#size) this.#match(room, group);
    else this.#tellWaiting(group);
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    const fields = readJsonObject(frame, this.#outlet.limits.maxMessageBytes);
    if (fields instanceof FrameProblem) {
      this.#error(connection, fields.code, fields.message);
      return;
    }
    if (fields.type === "ping") {
      const pong: Record<string, unknown> = { type: "pong" };
      if (typeof fields.request_id === "string") pong.request_id = fields.request_id.slice(0, 64);
      this.#outlet.send(connection, JSON.stringify(pong), "reply");
      return;
    }
    this.#error(connection, "unknown_type", "a lobby takes no messages but ping: wait for matched");
  }

  refusalFrame(code: FrontErrorCode, message: string): string {
    return JSON.stringify({ type: "error", code, error: code === "room_full" ? `this lobby is ${message}` : message });
  }

  peekRequestId(): undefined {
    return undefined;
  }

  parseState(value: unknown): LobbyState | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const { room } = value as Record<string, unknown>;
    return isValidRoomName(room) ? { room } : undefined;
  }

  restore(connection: C, state: LobbyState | undefined): void {
    if (!state) return;
    this.#join(connection, state.room);
    // The group newcomers join is one that is not full yet (there is one at most, but for a socket that outlived
    // its match by a moment).
    const group = this.#groups.get(state.room);
    if (group && group.size < this.#size) this.#forming = state.room;
  }

  gone(connection: C, _how: Departure): void {
    const room = this.#roomOf.get(connection);
    if (room === undefined) return;
    this.#roomOf.delete(connection);
    const group = this.#groups.get(room);
    if (!group) return;
    group.delete(connection);
    if (group.size === 0) {
      this.#groups.delete(room);
      if (this.#forming === room) this.#forming = undefined;
    } else this.#tellWaiting(group);
  }

  describe(connection: C): Record<string, string> {
    return { room: this.#roomOf.get(connection) ?? "" };
  }

  stats(): Record<string, number> {
    let waiting = 0;
    for (const group of this.#groups.values()) waiting += group.size;
    return { size: this.#size, waiting, groups: this.#groups.size, matches: this.#matches };
  }

  #join(connection: C, room: string): void {
    let group = this.#groups.get(room);
    if (!group) {
      group = new Set();
      this.#groups.set(room, group);
    }
    group.add(connection);
    this.#roomOf.set(connection, room);
  }

  #match(room: string, group: Set<C>): void {
    this.#groups.delete(room);
    if (this.#forming === room) this.#forming = undefined;
    this.#matches++;
    const text = JSON.stringify({ type: "matched", room, size: this.#size });
    for (const member of group) {
      this.#roomOf.delete(member);
      this.#outlet.send(member, text, "reply");
      this.#outlet.disconnect(member, CLOSE_NORMAL, "matched");
    }
    this.#outlet.log("info", "lobby_matched", undefined, { room, size: this.#size });
  }

  #tellWaiting(group: Set<C>): void {
    const text = JSON.stringify({ type: "lobby", lobby: this.#lobby, size: this.#size, waiting: group.size });
    for (const member of group) this.#outlet.send(member, text, "notice");
  }

  #error(connection: C, code: string, error: string): void {
    this.#outlet.send(connection, JSON.stringify({ type: "error", code, error }), "reply");
  }
}
