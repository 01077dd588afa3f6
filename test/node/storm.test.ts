/** Disconnect storm: drops and resumes under load, and every relay accounted for. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { runStorm } from "../../tools/storm.js";
import { closeAll } from "../../tools/test-socket.js";

describe("a disconnect storm", () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { RESUME_GRACE_SECONDS: "2" } });
  });
  afterAll(async () => {
    closeAll();
    await worker.dispose();
  });

  it("delivers every relay exactly once and in order, or tells its sender, while half the peers drop", async () => {
    const report = await runStorm({
      roomUrl: `${worker.wsUrl}/rooms/storm`,
      steady: 100,
      flaky: 100,
      durationMs: 8_000,
      ratePerPeer: 5,
      graceMs: 2_000,
    });
    console.log(`storm: ${JSON.stringify(report)}`);
    expect(report).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
    expect(report.sent).toBeGreaterThan(2_000);
    expect(report.delivered + Object.values(report.refused).reduce((a, b) => a + b, 0) + report.undeliverable).toBe(
      report.sent,
    );
    // Both ways back were taken: resumes within the grace period, and fresh registrations after it.
    expect(report.resumes).toBeGreaterThan(0);
    expect(report.expiredReturns).toBeGreaterThan(0);
  }, 60_000);
});
