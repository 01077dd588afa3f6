/** Disconnect storms: drops, resumes, cuts with frames in flight, under load, and every relay accounted for. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CutProxy, startCutProxy } from "../../tools/cut-proxy.js";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { runStorm, type StormReport } from "../../tools/storm.js";
import { closeAll } from "../../tools/test-socket.js";

const refusedCount = (report: StormReport) => Object.values(report.refused).reduce((a, b) => a + b, 0);

describe("a disconnect storm", () => {
  let worker: LocalWorker;
  let proxy: CutProxy;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { RESUME_GRACE_SECONDS: "2" } });
    // Relays, acks and answers, either way: whatever a cut can lose in flight.
    proxy = await startCutProxy({
      upstream: worker.wsUrl,
      eligible: (text) => /"type":"(relay|ack|error)"/.test(text),
    });
  });
  afterAll(async () => {
    closeAll();
    await proxy?.close();
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
    expect(report.delivered + refusedCount(report) + report.undeliverable).toBe(report.sent);
    // Both ways back were taken: resumes within the grace period, and fresh registrations after it.
    expect(report.resumes).toBeGreaterThan(0);
    expect(report.expiredReturns).toBeGreaterThan(0);
  }, 60_000);

  // Regression: a relay on a connection that died before the server read it was gone, and nobody was told; so was
  // an answer to one (unknown_peer) lost on its way back.
  it("loses nothing and repeats nothing when connections are cut with frames in flight both ways", async () => {
    proxy.cutChance = 0.01;
    const report = await runStorm({
      roomUrl: `${proxy.url}/rooms/cuts`,
      steady: 50,
      flaky: 50,
      durationMs: 8_000,
      ratePerPeer: 5,
      graceMs: 2_000,
    });
    proxy.cutChance = 0;
    console.log(`cuts: ${JSON.stringify({ ...report, cuts: proxy.cuts })}`);
    expect(report).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, steadyFresh: 0 });
    expect(report.delivered + refusedCount(report) + report.undeliverable).toBe(report.sent);
    expect(proxy.cuts.up).toBeGreaterThan(5);
    expect(proxy.cuts.down).toBeGreaterThan(5);
    expect(report.resent).toBeGreaterThan(0);
  }, 60_000);
});
