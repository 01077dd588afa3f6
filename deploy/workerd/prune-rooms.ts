/**
 * workerd keeps every Durable Object it ever started in a SQLite file of its own under DATA_DIR, even one that
 * never stored a row: every room name ever opened used to leave a 4 KiB file behind, for good. Before the server
 * starts (never while workerd runs, which may have any file open), the files that hold nothing are removed: an
 * empty schema, and no write-ahead log still to be applied. A room with reservations, a revision or an alarm keeps
 * its file.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/** The files of objects, named by their 64-hex-digit ids; workerd's own `metadata.sqlite` never matches. */
const OBJECT_FILE = /^[0-9a-f]{64}\.sqlite$/;
/** The b-tree page type of a leaf table page (the schema's, on page 1). */
const LEAF_TABLE_PAGE = 0x0d;

/** Removes the empty object files under `dataDir`; returns how many were removed and how many kept. */
export function pruneEmptyRooms(dataDir: string): { removed: number; kept: number } {
  let removed = 0;
  let kept = 0;
  if (!existsSync(dataDir)) return { removed, kept };
  for (const namespace of readdirSync(dataDir)) {
    const dir = join(dataDir, namespace);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir)) {
      if (!OBJECT_FILE.test(file)) continue;
      const path = join(dir, file);
      if (!holdsNothing(path)) {
        kept++;
        continue;
      }
      for (const suffix of ["", "-wal", "-shm"]) {
        if (existsSync(path + suffix)) unlinkSync(path + suffix);
      }
      removed++;
    }
  }
  return { removed, kept };
}

/**
 * Whether a SQLite file has no table or index at all: its schema (a b-tree rooted on page 1, right after the
 * 100-byte file header) is a single leaf page with no cells, and no write-ahead log is waiting to change that.
 */
export function holdsNothing(path: string): boolean {
  const wal = `${path}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) return false;
  const header = Buffer.alloc(108);
  const fd = openSync(path, "r");
  try {
    if (readSync(fd, header, 0, header.length, 0) < header.length) return false;
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1", 0, 16) !== "SQLite format 3\0") return false;
  const pageType = header[100];
  const cells = header.readUInt16BE(103);
  return pageType === LEAF_TABLE_PAGE && cells === 0;
}
