/**
 * The real Trystero torrent strategy, unmodified, in two Chromium pages with separate storage, with this server as
 * their only tracker: the peers meet and message each other, on `npm start` and `npm run serve`. Skipped like
 * demo.test.ts when there is no Chromium.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { haveChromium } from "./chromium.js";
import { HOSTS, useCompatApp } from "./compat/harness.js";

describe.skipIf(!haveChromium).each(HOSTS)("Trystero (torrent) in Chromium, on %s", (kind) => {
  const app = useCompatApp(kind, "trystero-page.ts");

  async function page(roomId: string): Promise<Page> {
    const p = await app.page();
    const tracker = `${app.signal.wsUrl}/announce/e2e`;
    await p.evaluate(
      ([url, r]) => window.startRoom(url as string, "webrtc-signal-e2e", r as string),
      [tracker, roomId],
    );
    return p;
  }

  it("two peers meet through this tracker and message each other", async () => {
    const roomId = `room-${Date.now().toString(36)}`;
    const [a, b] = [await page(roomId), await page(roomId)];
    await Promise.all([a, b].map((p) => p.waitForFunction(() => window.peers.length === 1, null, { timeout: 45_000 })));
    await a.evaluate(() => window.say("hello from a"));
    await b.waitForFunction(() => window.heard.includes("hello from a"), null, { timeout: 15_000 });
    await b.evaluate(() => window.say("hello from b"));
    await a.waitForFunction(() => window.heard.includes("hello from b"), null, { timeout: 15_000 });
    expect(await a.evaluate(() => window.peers.length)).toBe(1);
    await Promise.all([a.context().close(), b.context().close()]);
  }, 90_000);

  // Regression: Trystero announces at 0.2, 0.5 and 1.3 s, then at the tracker's interval (120 s); the peer with the
  // lower id ignores offers while its own are out, so when it came first, its offers went to nobody and the two met
  // only at its next announce, two minutes on. Its offers now wait in the swarm for the next peer.
  it("meets a peer that joins seconds later, whichever has the lower id", async () => {
    const roomId = `late-${Date.now().toString(36)}`;
    const a = await page(roomId);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const b = await page(roomId);
    await Promise.all([a, b].map((p) => p.waitForFunction(() => window.peers.length === 1, null, { timeout: 20_000 })));
    await Promise.all([a.context().close(), b.context().close()]);
  }, 60_000);
});
