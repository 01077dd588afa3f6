/**
 * What a room keeps outside its memory, so that it survives hibernation and eviction: a small attachment on each
 * socket, and one SQLite row for the presence revision's ceiling.
 */
import { isValidPeerId } from "./protocol.js";
import type { RevisionStore } from "./revision.js";

/**
 * Serialized with the socket and handed back after a wake. The runtime caps an attachment at 16 KiB; this one is
 * under 200 bytes (a 64-character room name and peer id).
 */
export interface SocketAttachment {
  room: string;
  peerId?: string;
  presence?: boolean;
}

export function writeAttachment(ws: WebSocket, attachment: SocketAttachment): void {
  ws.serializeAttachment(attachment);
}

/** Reads a socket's attachment, or undefined when it has none or one this version cannot read. */
export function readAttachment(ws: WebSocket): SocketAttachment | undefined {
  const value: unknown = ws.deserializeAttachment();
  if (typeof value !== "object" || value === null) return undefined;
  const { room, peerId, presence } = value as Record<string, unknown>;
  if (typeof room !== "string") return undefined;
  const attachment: SocketAttachment = { room };
  if (isValidPeerId(peerId)) attachment.peerId = peerId;
  if (typeof presence === "boolean") attachment.presence = presence;
  return attachment;
}

export class SqliteRevisionStore implements RevisionStore {
  #ready = false;

  constructor(private readonly sql: SqlStorage) {}

  load(): number {
    this.#ensureTable();
    const row = this.sql.exec<{ value: number }>("SELECT value FROM room_meta WHERE key = 'rev_ceiling'").toArray()[0];
    return row?.value ?? 0;
  }

  save(ceiling: number): void {
    this.#ensureTable();
    this.sql.exec(
      "INSERT INTO room_meta (key, value) VALUES ('rev_ceiling', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      ceiling,
    );
  }

  // Created on first use rather than in the constructor, so a wake that only relays touches no storage.
  #ensureTable(): void {
    if (this.#ready) return;
    this.sql.exec("CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    this.#ready = true;
  }
}
