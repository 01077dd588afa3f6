import { describe, expect, it } from "vitest";
import { Revision, type RevisionStore } from "./revision.js";

function memoryStore(initial = 0): RevisionStore & { writes: number; value: number } {
  return {
    writes: 0,
    value: initial,
    load() {
      return this.value;
    },
    save(ceiling) {
      this.writes++;
      this.value = ceiling;
    },
  };
}

describe("Revision", () => {
  it("grows by exactly one per change while awake, writing once per block", () => {
    const store = memoryStore();
    const revision = new Revision(store, 10);
    const seen = Array.from({ length: 25 }, () => revision.next());
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(store.writes).toBe(3);
  });

  it("resumes after a wake past every revision already sent, never backwards", () => {
    const store = memoryStore();
    const before = new Revision(store, 10);
    let last = 0;
    for (let i = 0; i < 7; i++) last = before.next();
    const after = new Revision(store, 10); // a new instance, as after hibernation or eviction
    expect(after.current()).toBeGreaterThanOrEqual(last);
    expect(after.next()).toBeGreaterThan(last);
  });

  it("touches no storage until a revision is needed", () => {
    const store = memoryStore();
    let loads = 0;
    const counting: RevisionStore = {
      load: () => {
        loads++;
        return store.load();
      },
      save: (value) => store.save(value),
    };
    const revision = new Revision(counting);
    expect(loads).toBe(0);
    revision.current();
    expect(loads).toBe(1);
  });
});
