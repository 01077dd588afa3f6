/** The room's SQLite storage: the presence revision's ceiling, one row. */
import type { RevisionStore } from "../core/revision.js";

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
