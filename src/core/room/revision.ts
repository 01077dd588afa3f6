import { REVISION_BLOCK } from "../config/limits.js";

/** Where the revision's ceiling is kept across hibernation and eviction (one SQLite row in the room). */
export interface RevisionStore {
  /** The stored ceiling, or 0 for a room that never had a change. */
  load(): number;
  save(ceiling: number): void;
}

/**
 * The room's presence revision: it grows by exactly one per membership change while the room is awake and never
 * goes backwards. Instead of a storage write per change, a ceiling is reserved ahead of it, `block` changes at a
 * time; after a wake the revision resumes from the stored ceiling, which is at or past every revision ever sent
 * (so it may jump ahead, never back). Storage is touched only when a change or a read first needs it.
 */
export class Revision {
  #rev: number | undefined;
  #ceiling = 0;

  constructor(
    private readonly store: RevisionStore,
    private readonly block = REVISION_BLOCK,
  ) {}

  current(): number {
    if (this.#rev === undefined) {
      this.#ceiling = this.store.load();
      this.#rev = this.#ceiling;
    }
    return this.#rev;
  }

  /**
   * The room emptied and its storage is being deleted: it starts again from nothing, which no one can tell, since
   * no connection is left that saw a revision. The next change reserves a new ceiling.
   */
  reset(): void {
    this.#rev = 0;
    this.#ceiling = 0;
  }

  next(): number {
    const rev = this.current() + 1;
    if (rev > this.#ceiling) {
      this.#ceiling = rev + this.block;
      this.store.save(this.#ceiling);
    }
    this.#rev = rev;
    return rev;
  }
}
