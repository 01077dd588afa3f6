/**
 * The names of lobbies and of the rooms they give out. A lobby `chess` matching groups of 2 is the object named
 * `chess.2`; each group it makes gets the room `chess-<16 random letters and digits>` (about 82 bits: nobody outside
 * the group finds it by guessing).
 */
import { isValidRoomName } from "../wire/protocol.js";

/** The longest lobby name: room names are at most 64 characters, and a matched room adds 17. */
export const MAX_LOBBY_NAME_LENGTH = 40;
/** The largest group a lobby makes: a full mesh past it costs each browser more than a game can take. */
export const MAX_LOBBY_SIZE = 16;
const ROOM_ID_LENGTH = 16;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const MATCHED_ROOM = new RegExp(`^(.+)-[a-z0-9]{${ROOM_ID_LENGTH}}$`);

export function isValidLobbyName(value: unknown): value is string {
  return isValidRoomName(value) && value.length <= MAX_LOBBY_NAME_LENGTH;
}

/** The group size a lobby's query asks for, or why it cannot be. */
export function lobbySize(raw: string | null): number | string {
  const size = Number(raw ?? "2");
  if (!Number.isInteger(size) || size < 2 || size > MAX_LOBBY_SIZE) {
    return `size must be a whole number from 2 to ${MAX_LOBBY_SIZE} (got ${JSON.stringify(raw)})`;
  }
  return size;
}

/** The object that holds lobby `lobby`'s groups of `size`. */
export function lobbyObjectName(lobby: string, size: number): string {
  return `${lobby}.${size}`;
}

/** The lobby and size an object's name holds (the size after the last dot). */
export function parseLobbyObjectName(name: string): { lobby: string; size: number } | undefined {
  const dot = name.lastIndexOf(".");
  const size = Number(name.slice(dot + 1));
  if (dot <= 0 || !Number.isInteger(size) || size < 2 || size > MAX_LOBBY_SIZE) return undefined;
  return { lobby: name.slice(0, dot), size };
}

/** A new room for a group of lobby `lobby`. */
export function matchedRoomName(lobby: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ROOM_ID_LENGTH));
  let id = "";
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return `${lobby}-${id}`;
}

/** The lobby a matched room came from, or undefined for a room of any other name. */
export function lobbyOfRoom(room: string): string | undefined {
  return MATCHED_ROOM.exec(room)?.[1];
}
