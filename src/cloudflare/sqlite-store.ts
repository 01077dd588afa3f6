/**
 * The room's SQLite storage: the presence revision's ceiling (one row), and the reservations and mailboxes of
 * peers who dropped; with `PERSIST_REGISTRATIONS`, also a claim row per connected peer (in the reservations table,
 * `live = 1`), so that a crash or a deploy leaves its id held. Tables are created on first write, and a wake that
 * finds none reads no more than the schema, so a room whose sessions end cleanly (and that persists no claims)
 * never writes a row.
 */
import type { Claim, KeptMessage, Reservation, ReservationStore } from "../core/room/reservations.js";
import type { RevisionStore } from "../core/room/revision.js";

export class SqliteRevisionStore implements RevisionStore {
  #ready = false;

  constructor(private readonly sql: SqlStorage) {}

  /** Whether this object has touched its table since it woke (and so may have a row to delete). */
  get used(): boolean {
    return this.#ready;
  }

  /** The storage was deleted: the table is created again on next use. */
  forget(): void {
    this.#ready = false;
  }

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

export class SqliteReservationStore implements ReservationStore {
  #ready = false;

  constructor(private readonly sql: SqlStorage) {}

  /** Whether the tables exist (one read of the schema per wake). */
  get used(): boolean {
    return this.#exists();
  }

  /** The storage was deleted: the tables are created again on next use. */
  forget(): void {
    this.#ready = false;
  }

  load(): Array<Reservation & { count: number; bytes: number }> {
    if (!this.#exists()) return [];
    return this.sql
      .exec<{
        peer_id: string;
        token: string;
        presence: number;
        until: number;
        acked: number;
        replay_from: number;
        meta: string | null;
        count: number;
        bytes: number;
      }>(
        `SELECT r.peer_id, r.token, r.presence, r.until, r.acked, r.replay_from, r.meta, COUNT(m.seq) AS count,
                COALESCE(SUM(m.bytes), 0) AS bytes
         FROM reservations r LEFT JOIN mailbox m ON m.to_peer = r.peer_id WHERE r.live = 0 GROUP BY r.peer_id`,
      )
      .toArray()
      .map((row) => ({
        peerId: row.peer_id,
        token: row.token,
        presence: row.presence === 1,
        until: row.until,
        acked: row.acked,
        replayFrom: row.replay_from,
        ...metaOf(row.meta),
        count: row.count,
        bytes: row.bytes,
      }));
  }

  reserve({ peerId, token, presence, until, acked, replayFrom, meta }: Reservation): void {
    this.#ensureTables();
    this.sql.exec(
      "INSERT OR REPLACE INTO reservations (peer_id, token, presence, until, acked, replay_from, live, meta) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
      peerId,
      token,
      presence ? 1 : 0,
      until,
      acked,
      replayFrom,
      meta === undefined ? null : JSON.stringify(meta),
    );
  }

  claim({ peerId, token, presence, acked, meta }: Claim): void {
    this.#ensureTables();
    this.sql.exec(
      "INSERT OR REPLACE INTO reservations (peer_id, token, presence, until, acked, replay_from, live, meta) VALUES (?, ?, ?, 0, ?, 1, 1, ?)",
      peerId,
      token,
      presence ? 1 : 0,
      acked,
      meta === undefined ? null : JSON.stringify(meta),
    );
  }

  unclaim(peerId: string): void {
    if (!this.#exists()) return;
    this.sql.exec("DELETE FROM reservations WHERE peer_id = ? AND live = 1", peerId);
  }

  claims(): Claim[] {
    if (!this.#exists()) return [];
    return this.sql
      .exec<{ peer_id: string; token: string; presence: number; acked: number; meta: string | null }>(
        "SELECT peer_id, token, presence, acked, meta FROM reservations WHERE live = 1",
      )
      .toArray()
      .map((row) => ({
        peerId: row.peer_id,
        token: row.token,
        presence: row.presence === 1,
        acked: row.acked,
        ...metaOf(row.meta),
      }));
  }

  keep(to: string, { from, data, seq }: KeptMessage, bytes: number): void {
    this.#ensureTables();
    this.sql.exec(
      "INSERT INTO mailbox (to_peer, from_peer, data, bytes, sent_seq) VALUES (?, ?, ?, ?, ?)",
      to,
      from,
      data,
      bytes,
      seq ?? null,
    );
  }

  release(peerId: string): KeptMessage[] {
    if (!this.#exists()) return [];
    const kept = this.sql
      .exec<{ from_peer: string; data: string; sent_seq: number | null }>(
        "SELECT from_peer, data, sent_seq FROM mailbox WHERE to_peer = ? ORDER BY seq",
        peerId,
      )
      .toArray()
      .map((row) => ({ from: row.from_peer, data: row.data, ...(row.sent_seq === null ? {} : { seq: row.sent_seq }) }));
    this.sql.exec("DELETE FROM mailbox WHERE to_peer = ?", peerId);
    this.sql.exec("DELETE FROM reservations WHERE peer_id = ?", peerId);
    return kept;
  }

  /**
   * Whether the tables exist: one read of the schema per wake, instead of creating them (a write) to find out. A
   * table an older version made gets the columns this one reads.
   */
  #exists(): boolean {
    if (this.#ready) return true;
    const found = this.sql
      .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reservations'")
      .toArray().length;
    this.#ready = found > 0;
    if (this.#ready) this.#addMissingColumns();
    return this.#ready;
  }

  #addMissingColumns(): void {
    const columns = new Set(
      this.sql
        .exec<{ name: string }>("PRAGMA table_info(reservations)")
        .toArray()
        .map((c) => c.name),
    );
    if (!columns.has("acked")) this.sql.exec("ALTER TABLE reservations ADD COLUMN acked INTEGER NOT NULL DEFAULT 0");
    if (!columns.has("replay_from")) {
      // What an older version kept carries no promise of completeness.
      this.sql.exec(
        `ALTER TABLE reservations ADD COLUMN replay_from INTEGER NOT NULL DEFAULT ${Number.MAX_SAFE_INTEGER}`,
      );
    }
    if (!columns.has("live")) this.sql.exec("ALTER TABLE reservations ADD COLUMN live INTEGER NOT NULL DEFAULT 0");
    if (!columns.has("meta")) this.sql.exec("ALTER TABLE reservations ADD COLUMN meta TEXT");
  }

  #ensureTables(): void {
    if (this.#exists()) return;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS reservations
         (peer_id TEXT PRIMARY KEY, token TEXT NOT NULL, presence INTEGER NOT NULL, until INTEGER NOT NULL,
          acked INTEGER NOT NULL DEFAULT 0, replay_from INTEGER NOT NULL DEFAULT 1, live INTEGER NOT NULL DEFAULT 0,
          meta TEXT);
       CREATE TABLE IF NOT EXISTS mailbox
         (seq INTEGER PRIMARY KEY AUTOINCREMENT, to_peer TEXT NOT NULL, from_peer TEXT NOT NULL,
          data TEXT NOT NULL, bytes INTEGER NOT NULL, sent_seq INTEGER);
       CREATE INDEX IF NOT EXISTS mailbox_to ON mailbox (to_peer, seq);`,
    );
    this.#ready = true;
  }
}

/** A stored `meta` (JSON text, or NULL for none) read back; text that does not parse is taken as none. */
function metaOf(text: string | null): { meta?: unknown } {
  if (text === null) return {};
  try {
    return { meta: JSON.parse(text) };
  } catch {
    return {};
  }
}
