/**
 * The real PeerJS client, unmodified, in Chromium pages with this server as its PeerServer: a data connection both
 * ways between a chosen id and a server-assigned one, and a taken id refused, on `npm start` and `npm run serve`.
 * Skipped like demo.test.ts when there is no Chromium.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, type NpmServerKind, startNpmServer } from "../../tools/npm-server.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "./chromium.js";
import { type AppServer, serveApp } from "./compat/serve-app.js";

const HOSTS: NpmServerKind[] = ["npm start", "npm run serve"];

describe.skipIf(!haveChromium).each(HOSTS)("PeerJS in Chromium, on %s", (kind) => {
  let signal: DevServer;
  let app: AppServer;
  let browser: Browser;
  beforeAll(async () => {
    [signal, app, browser] = await Promise.all([
      startNpmServer(kind),
      serveApp("peerjs-page.ts"),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    app?.close();
    await signal?.stop();
  });

  const port = () => Number(new URL(signal.url).port);

  async function page(): Promise<Page> {
    const p = await (await browser.newContext()).newPage();
    p.on("pageerror", (error) => console.error("page error:", error.message));
    await p.goto(app.url);
    return p;
  }

  it("connects a chosen id and a server-assigned one, data both ways, and refuses a taken id", async () => {
    const key = `e2e${Date.now().toString(36)}`;
    const [alice, bob, thief] = [await page(), await page(), await page()];
    const aliceId = await alice.evaluate(
      ([p, k]) => window.startPeer(p as number, k as string, "alice"),
      [port(), key],
    );
    const bobId = await bob.evaluate(([p, k]) => window.startPeer(p as number, k as string), [port(), key]);
    expect(aliceId).toBe("alice");
    expect(bobId).toMatch(/^[0-9a-f-]{36}$/);
    await alice.evaluate((id) => window.connectTo(id), bobId);
    await alice.evaluate(() => window.say("hello bob"));
    await bob.waitForFunction(() => window.heard.includes("hello bob"), null, { timeout: 30_000 });
    await bob.evaluate(() => window.say("hello alice"));
    await alice.waitForFunction(() => window.heard.includes("hello alice"), null, { timeout: 30_000 });

    const refused = await thief.evaluate(
      ([p, k]) => window.startPeer(p as number, k as string, "alice").catch(() => "refused"),
      [port(), key],
    );
    expect(refused).toBe("refused");
    expect(await thief.evaluate(() => window.errors)).toContain("unavailable-id");
    await Promise.all([alice, bob, thief].map((p) => p.context().close()));
  });
});
