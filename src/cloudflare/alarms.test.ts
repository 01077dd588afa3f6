import { describe, expect, it } from "vitest";
import { Alarms } from "./alarms.js";

describe("Alarms", () => {
  it("sets the one alarm to the earliest use, and only when that moves", () => {
    const set: Array<number | undefined> = [];
    const alarms = new Alarms((at) => set.push(at));
    alarms.ask("service", 5000);
    alarms.ask("metrics", 2000);
    alarms.ask("webhooks", 9000);
    alarms.ask("metrics", 2000);
    expect(set).toEqual([5000, 2000]);
    expect([...alarms.came(2000)]).toEqual(["metrics"]);
    expect(set).toEqual([5000, 2000, 5000]);
    alarms.ask("service", undefined);
    expect(set.at(-1)).toBe(9000);
    alarms.ask("webhooks", undefined);
    expect(set.at(-1)).toBeUndefined();
  });

  it("takes an alarm after a wake that forgot who asked as the service's and the outbox's", () => {
    const alarms = new Alarms(() => {});
    expect([...alarms.came(1)].sort()).toEqual(["service", "webhooks"]);
  });

  // Regression: after a restart, the room's grace-period ask moved the alarm an earlier instance had set for a
  // webhook retry, and the retry waited for the grace period.
  it("keeps an alarm an earlier instance set, however later ones ask", () => {
    const set: Array<number | undefined> = [];
    const alarms = new Alarms((at) => set.push(at), true);
    // Asked before the host has read what is set (a restart's grace period, from the constructor).
    alarms.ask("service", 120_000);
    expect(set).toEqual([]);
    alarms.inherit(5000);
    alarms.ask("metrics", 9000);
    expect(set).toEqual([]);
    expect([...alarms.came(5000)].sort()).toEqual(["service", "webhooks"]);
    expect(set).toEqual([9000]);
  });

  it("asks again after the storage (and its alarm) was wiped", () => {
    const set: Array<number | undefined> = [];
    const alarms = new Alarms((at) => set.push(at));
    alarms.ask("metrics", 3000);
    alarms.wiped();
    expect(set).toEqual([3000, 3000]);
  });
});
