/**
 * The admin page in Chromium on the self-hosted server with ADMIN_TOKEN (where metrics are on by default): the
 * token typed once and kept for the tab (never in the URL), then the rooms, the chart and the recent errors as
 * clients come and go; a wrong token is told so. `ADMIN_SCREENSHOT=1` writes docs/admin.png from the same run.
 */
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, register } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "./chromium.js";

const TOKEN = "an-e2e-admin-token-of-at-least-32-characters";

describe.skipIf(!haveChromium)("the admin page", () => {
  let server: DevServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startNpmServer("npm run serve", { env: { ADMIN_TOKEN: TOKEN, METRICS_INTERVAL_SECONDS: "1" } }),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS }),
    ]);
  }, 120_000);
  afterAll(async () => {
    closeAll();
    await browser?.close();
    await server?.stop();
  });

  it("asks for the token once per tab, then shows rooms, a chart and recent errors live", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/admin`);
    await page.fill("#token", "a-wrong-admin-token-of-at-least-32-characters");
    await page.click("#sign-in button[type=submit]");
    await expect.poll(() => page.textContent("#sign-in-error")).toContain("ADMIN_TOKEN");
    await page.fill("#token", TOKEN);
    await page.click("#sign-in button[type=submit]");
    await page.locator("#live").waitFor();
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.isVisible("#sign-in")).toBe(false);

    // Clients in two rooms, relaying, one relay to nobody.
    const ws = server.url.replace("http", "ws");
    const alice = await register(await connectWs(`${ws}/rooms/standup`), "alice");
    await register(await connectWs(`${ws}/rooms/standup`), "bob");
    await register(await connectWs(`${ws}/rooms/standup`), "carol");
    await register(await connectWs(`${ws}/rooms/support`), "dana");
    for (let i = 0; i < 20; i++) alice.send({ type: "relay", to: "bob", data: { i } });
    alice.send({ type: "relay", to: "nobody", data: {} });

    await page.locator('#rooms tr[data-room="standup"]').waitFor({ timeout: 15_000 });
    await page.locator('#rooms tr[data-room="support"]').waitFor();
    await expect.poll(() => page.textContent("#t-connections"), { timeout: 10_000 }).toBe("4");
    expect(await page.textContent("#t-rooms")).toBe("2");
    await expect.poll(() => page.textContent("#recent"), { timeout: 10_000 }).toContain("unknown_peer");
    expect(await page.locator("#chart canvas").count()).toBe(1);

    // One room's stats on a click.
    await page.click('#rooms tr[data-room="standup"]');
    await expect.poll(() => page.textContent("#detail-body"), { timeout: 10_000 }).toContain('"peers": 3');

    // Kept for the tab: a reload stays signed in; another tab of its own is asked again.
    await page.reload();
    await page.locator("#live").waitFor();
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${server.url}/admin`);
    expect(await other.isVisible("#sign-in")).toBe(true);
    expect(await other.isVisible("#live")).toBe(false);

    if (process.env.ADMIN_SCREENSHOT) {
      await page.click('#rooms tr[data-room="standup"]');
      await page.waitForTimeout(4000);
      await page.screenshot({ path: "docs/admin.png", fullPage: true });
    }
    await context.close();
  }, 90_000);
});
