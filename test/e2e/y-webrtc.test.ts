/**
 * The real y-webrtc and yjs, unmodified, in two Chromium pages with separate storage (so that they cannot meet over
 * y-webrtc's BroadcastChannel), with this server as their only signaling server: two documents converge over a
 * WebRTC connection, on `npm start` and on `npm run serve`. Skipped like demo.test.ts when there is no Chromium.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, type NpmServerKind, startNpmServer } from "../../tools/npm-server.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "./chromium.js";
import { type AppServer, serveApp } from "./compat/serve-app.js";

const HOSTS: NpmServerKind[] = ["npm start", "npm run serve"];

describe.skipIf(!haveChromium).each(HOSTS)("y-webrtc and yjs in Chromium, on %s", (kind) => {
  let signal: DevServer;
  let app: AppServer;
  let browser: Browser;
  beforeAll(async () => {
    [signal, app, browser] = await Promise.all([
      startNpmServer(kind),
      serveApp("yjs-page.ts"),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    app?.close();
    await signal?.stop();
  });

  async function page(room: string): Promise<Page> {
    const context = await browser.newContext();
    const p = await context.newPage();
    p.on("pageerror", (error) => console.error("page error:", error.message));
    await p.goto(app.url);
    await p.evaluate(([url, r]) => window.startDoc(url as string, r as string), [`${signal.wsUrl}/y-webrtc/e2e`, room]);
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
