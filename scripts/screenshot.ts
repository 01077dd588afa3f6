/**
 * Takes docs/screenshot.png: three Chromium pages join one room of the demo, chat, and start their (fake) cameras.
 * Usage: npm run screenshot   (needs Chromium; CHROMIUM_PATH overrides /usr/bin/chromium)
 */
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, connectedOnDemo } from "../test/e2e/chromium.js";
import { startNpmServer } from "../tools/npm-server.js";

const server = await startNpmServer("npm start");
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
try {
  const context = await browser.newContext({ viewport: { width: 760, height: 980 } });
  const pages: Page[] = [];
  for (let i = 0; i < 3; i++) pages.push(await context.newPage());
  const room = `demo-${Date.now().toString(36)}`;
  for (const [i, page] of pages.entries()) {
    await page.goto(`${server.url}/#room=${room}&name=${["alice", "bob", "carol"][i]}`);
    await page.fill("#secret", "correct horse");
    await page.click("#join button[type=submit]");
    await page.locator("#status[data-state=open]").waitFor();
  }
  const [alice, bob, carol] = pages as [Page, Page, Page];
  await connectedOnDemo(alice, "alice", bob, "bob");
  await connectedOnDemo(alice, "alice", carol, "carol");
  const say = async (page: Page, text: string) => {
    await page.fill("#chat-input", text);
    await page.press("#chat-input", "Enter");
  };
  await say(alice, "Hi both! Can you see me?");
  await say(bob, "Loud and clear.");
  await say(carol, "Same here, and the server saw none of our SDP.");
  for (const page of pages) await page.click("#camera");
  await alice.waitForFunction(
    () =>
      Array.from(document.querySelectorAll<HTMLElement>(".tile")).filter((t) => Number(t.dataset.framesDecoded) > 30)
        .length >= 2,
    null,
    { timeout: 30_000 },
  );
  await alice.screenshot({ path: "docs/screenshot.png", fullPage: true });
  console.log("wrote docs/screenshot.png");
} finally {
  await browser.close();
  server.stop();
}
