/**
 * The demo on a server that asks for join tokens (`npm run serve` with AUTH_SECRET): pages given `#token=` get in
 * through the browser's own WebSocket (the token as a subprotocol) and call each other; a page without one does
 * not get in. Skipped like demo.test.ts when there is no Chromium.
 */
import { SignJWT } from "jose";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, connectedOnDemo, haveChromium } from "./chromium.js";

const SECRET = "an-e2e-secret-of-at-least-32-characters";

const mint = (sub: string, room: string) =>
  new SignJWT({ room })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(SECRET));

describe.skipIf(!haveChromium)("the demo with join tokens", () => {
  let server: DevServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startNpmServer("npm run serve", { env: { AUTH_SECRET: SECRET } }),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("lets pages with #token= in as their token's sub, and they connect to each other", async () => {
    const context = await browser.newContext();
    const room = `tokens-${Date.now().toString(36)}`;
    const [alice, bob] = await Promise.all([context.newPage(), context.newPage()]);
    for (const [page, name] of [
      [alice, "alice"],
      [bob, "bob"],
    ] as const) {
      await page.goto(`${server.url}/#room=${room}&join=1&token=${await mint(name, room)}`);
      await page.locator("#status[data-state=open]").waitFor();
      expect(await page.inputValue("#name")).toBe(name);
      expect(page.url()).not.toContain("token=");
    }
    await connectedOnDemo(alice, "alice", bob, "bob");
    await context.close();
  });

  // Browsers hide a refused upgrade's HTTP status: the page used to retry for ever without a word of why.
  it("keeps a page without a token out, and the page says why", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/#room=closed&name=eve&join=1`);
    await expect.poll(() => page.locator("#join-error").textContent()).toContain("a join token is required");
    expect(await page.locator("#status").getAttribute("data-state")).not.toBe("open");
    await context.close();
  });
});
