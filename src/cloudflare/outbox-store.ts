/** The webhook outbox in the object's SQLite (see core/webhooks/outbox.ts): created on first use, one row per event. */
import type { OutboxStore, PendingWebhook } from "../core/webhooks/outbox.js";

export class SqliteOutboxStore implements OutboxStore {
  #ready = false;
  #count: number | undefined;

  constructor(private readonly sql: SqlStorage) {}

  add(webhook: PendingWebhook): void {
    this.#ensure();
    this.sql.exec(
      "INSERT INTO webhook_outbox (id, body, attempts, due) VALUES (?, ?, ?, ?)",
      webhook.id,
      webhook.body,
      webhook.attempts,
      webhook.due,
    );
    this.#count = this.count() + 1;
  }

  head(): PendingWebhook | undefined {
    if (!this.#exists()) return undefined;
    return this.sql
      .exec<{ id: string; body: string; attempts: number; due: number }>(
        "SELECT id, body, attempts, due FROM webhook_outbox ORDER BY seq LIMIT 1",
      )
      .toArray()[0];
  }

  count(): number {
    if (this.#count === undefined) {
      this.#count = this.#exists()
        ? (this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_outbox").one().n ?? 0)
        : 0;
    }
    return this.#count;
  }

  remove(id: string): void {
    if (!this.#exists()) return;
    this.sql.exec("DELETE FROM webhook_outbox WHERE id = ?", id);
    this.#count = Math.max(0, this.count() - 1);
  }

  retry(id: string, attempts: number, due: number): void {
    if (!this.#exists()) return;
    this.sql.exec("UPDATE webhook_outbox SET attempts = ?, due = ? WHERE id = ?", attempts, due, id);
  }

  /** The storage was wiped. */
  forget(): void {
    this.#ready = false;
    this.#count = 0;
  }

  #exists(): boolean {
    if (this.#ready) return true;
    const found = this.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'webhook_outbox'")
      .toArray();
    this.#ready = found.length > 0;
    return this.#ready;
  }

  #ensure(): void {
    if (this.#ready) return;
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS webhook_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL, due INTEGER NOT NULL)",
    );
    this.#ready = true;
  }
}
