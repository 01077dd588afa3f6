/**
 * The real y-webrtc and yjs, unmodified, in two Chromium pages with separate storage (so that they cannot meet over
 * y-webrtc's BroadcastChannel), with this server as their only signaling server: two documents converge over a
 * WebRTC connection, on `npm start` and on `npm run serve`. Skipped like demo.test.ts when there is no Chromium.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { haveChromium } from "./chromium.js";
import { HOSTS, useCompatApp } from "./compat/harness.js";

describe.skipIf(!haveChromium).each(HOSTS)("y-webrtc and yjs in Chromium, on %s", (kind) => {
  const app = useCompatApp(kind, "yjs-page.ts");

  async function page(room: string): Promise<Page> {
    const p = await app.page();
    await p.evaluate(
      ([url, r]) => window.startDoc(url as string, r as string),
      [`${app.signal.wsUrl}/y-webrtc/e2e`, room],
    );
    return p;
  }

  it("two documents converge over WebRTC, meeting through this server", async () => {
    const room = `doc-${Date.now().toString(36)}`;
    const [a, b] = [await page(room), await page(room)];
    await Promise.all(
      [a, b].map((p) => p.waitForFunction(() => window.webrtcPeers() === 1, null, { timeout: 30_000 })),
    );
    await a.evaluate(() => window.edit("hello from a. "));
    await b.waitForFunction(() => window.docText() === "hello from a. ");
    await b.evaluate(() => window.edit("and from b. "));
    await a.waitForFunction(() => window.docText().includes("and from b."));
    expect(await a.evaluate(() => window.docText())).toBe(await b.evaluate(() => window.docText()));
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
