/**
 * The `Directory` Durable Object: one per deployment (named `metrics`), where rooms report their gauges and counts
 * (see core/metrics/directory.ts) and where `/metrics` and the admin page read them. Its SQLite keeps a row per
 * live room and one of totals, so that an eviction while the rooms idle forgets nothing.
 */
import { DurableObject } from "cloudflare:workers";
import type { Config } from "../core/config/config.js";
import { describeError, logEvent } from "../core/log.js";
import {
  type DirectoryStore,
  Directory as MetricsDirectory,
  type MetricsReport,
  type Overview,
  type SourceRow,
} from "../core/metrics/directory.js";
import { placedStub } from "./placement.js";

export const DIRECTORY_NAME = "metrics";

export class Directory extends DurableObject<Env> {
  readonly #directory: MetricsDirectory;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#directory = new MetricsDirectory(new SqliteDirectoryStore(ctx.storage.sql));
  }

  report(report: MetricsReport): void {
    this.#directory.report(report);
  }

  render(endpoints: string[]): string {
    return this.#directory.render(endpoints);
  }

  overview(endpoints: string[]): Overview {
    return this.#directory.overview(endpoints, Date.now());
  }
}

class SqliteDirectoryStore implements DirectoryStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS sources (source TEXT PRIMARY KEY, endpoint TEXT NOT NULL, name TEXT NOT NULL,
      connections INTEGER NOT NULL, peers INTEGER NOT NULL, counters TEXT NOT NULL, updated INTEGER NOT NULL)`);
    sql.exec("CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY, counters TEXT NOT NULL)");
  }

  load(): { sources: SourceRow[]; totals: Record<string, number> } {
    const sources = this.sql
      .exec<{
        source: string;
        endpoint: string;
        name: string;
        connections: number;
        peers: number;
        counters: string;
        updated: number;
      }>("SELECT * FROM sources")
      .toArray()
      .map((row) => ({ ...row, counters: JSON.parse(row.counters) as Record<string, number> }));
    const totals = this.sql.exec<{ counters: string }>("SELECT counters FROM totals WHERE id = 1").toArray()[0];
    return { sources, totals: totals ? (JSON.parse(totals.counters) as Record<string, number>) : {} };
  }

  saveSource(row: SourceRow): void {
    this.sql.exec(
      `INSERT INTO sources (source, endpoint, name, connections, peers, counters, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(source) DO UPDATE SET name = excluded.name, connections = excluded.connections,
         peers = excluded.peers, counters = excluded.counters, updated = excluded.updated`,
      row.source,
      row.endpoint,
      row.name,
      row.connections,
      row.peers,
      JSON.stringify(row.counters),
      row.updated,
    );
  }

  deleteSource(source: string): void {
    this.sql.exec("DELETE FROM sources WHERE source = ?", source);
  }

  saveTotals(totals: Record<string, number>): void {
    this.sql.exec(
      "INSERT INTO totals (id, counters) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET counters = excluded.counters",
      JSON.stringify(totals),
    );
  }
}

/**
 * Sends one report to the directory, not awaited: the relay path never waits on metrics, and a report that fails
 * (the directory restarting) is logged, its counts lost rather than retried.
 */
export function reportToDirectory(env: Env, config: Config, report: MetricsReport): Promise<void> {
  const stub = placedStub(env.Directory, DIRECTORY_NAME, config);
  return stub.report(report).catch((error: unknown) => {
    logEvent("debug", "metrics_report_failed", { error: describeError(error) });
  });
}
