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

  // Regression: two pages that joined at the same moment each received the other's announce, both started a
  // connection, and y-webrtc's glare handling left the documents apart for good, about 1 run in 9 (npm run yjs:loop
  // measures it against y-webrtc's own server too). Repeated, since one run passed 8 times in 9 before the fix.
  it("two documents converge when both pages join and edit at the same moment, every time", async () => {
    for (let run = 0; run < 5; run++) {
      const room = `together-${Date.now().toString(36)}-${run}`;
      const [a, b] = [await app.page(), await app.page()];
      await Promise.all(
        [a, b].map((p, i) =>
          p.evaluate(
            ([url, r, text]) => {
              window.startDoc(url as string, r as string);
              window.edit(text as string);
            },
            [`${app.signal.wsUrl}/y-webrtc/e2e`, room, `page-${i} `],
          ),
        ),
      );
      const both = () => window.docText().includes("page-0") && window.docText().includes("page-1");
      await Promise.all([a, b].map((p) => p.waitForFunction(both, null, { timeout: 15_000 })));
      await Promise.all([a.context().close(), b.context().close()]);
    }
  });
});
