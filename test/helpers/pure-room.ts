/**
 * The room as a pure state machine, for its tests: a room over memory, the facts of a quiet moment, and a way to
 * send a command and read what went out.
 */
import { DEFAULT_LIMITS } from "../../src/core/config/limits.js";
import type { Outbound, RoomCommand } from "../../src/core/room/events.js";
import { MemoryReservationStore, Reservations } from "../../src/core/room/reservations.js";
import { Revision } from "../../src/core/room/revision.js";
import { type PresenceChange, Room, type RoomFacts } from "../../src/core/room/room.js";

export function newRoom(
  store = new MemoryReservationStore(),
  persistRegistrations = false,
  onPresence?: (change: PresenceChange) => void,
): Room<string> {
  let ceiling = 0;
  const revision = new Revision({
    load: () => ceiling,
    save: (value) => {
      ceiling = value;
    },
  });
  const reservations = new Reservations(store, DEFAULT_LIMITS, persistRegistrations);
  return new Room<string>({ revision, reservations, graceMs: 30_000, ...(onPresence ? { onPresence } : {}) });
}

/** The facts of a moment in which every connection is alive and nothing was handed to anyone. */
export const facts: RoomFacts<string> = { now: 1_000_000, isLive: () => true, handed: () => [], replayFrom: () => 1 };

export const register = (
  peerId: string,
  extra: Partial<Extract<RoomCommand, { type: "register" }>> = {},
): RoomCommand => ({ type: "register", peerId, presence: false, ...extra });

/**
 * Sends `command` as `connection` and returns what went out, as [recipient, event] pairs. A `registered` answer's
 * `peersJson` (the room's cached list) is checked against its `peers` on every call, then left out.
 */
export function act(room: Room<string>, connection: string, command: RoomCommand) {
  return room
    .handle(connection, command, facts)
    .map((o: Outbound<string>) => [o.to, withoutCachedList(o.event)] as const);
}

export function withoutCachedList<E extends { type: string }>(event: E): E {
  if (event.type !== "registered" || !("peersJson" in event)) return event;
  const { peersJson, ...rest } = event as E & { peersJson?: string; peers: string[] };
  if (peersJson !== JSON.stringify(rest.peers)) {
    throw new Error(`the room's cached list ${peersJson} is not its peers ${JSON.stringify(rest.peers)}`);
  }
  return rest as unknown as E;
}
