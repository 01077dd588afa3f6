/**
 * Takes docs/screenshot.png: two Chromium pages join the demo, connect, chat and start their (fake) cameras.
 * Usage: npm run screenshot   (needs Chromium; CHROMIUM_PATH overrides /usr/bin/chromium)
 */
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, callOnDemo } from "../test/e2e/chromium.js";
import { startNpmServer } from "../tools/npm-server.js";

const server = await startNpmServer("npm start");
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
try {
  const context = await browser.newContext({ viewport: { width: 720, height: 900 } });
  const [alice, bob] = [await context.newPage(), await context.newPage()];
  await alice.goto(`${server.url}/#room=demo&name=alice&join=1`);
  await bob.goto(`${server.url}/#room=demo&name=bob&join=1`);
  await callOnDemo(alice, "alice", bob, "bob");
  const say = async (page: typeof alice, remote: string, text: string) => {
    await page.locator(`.call[data-peer="${remote}"] .chat-input`).fill(text);
    await page.locator(`.call[data-peer="${remote}"] .chat-input`).press("Enter");
  };
  await say(alice, "bob", "Hi Bob! Can you see me?");
  await say(bob, "alice", "Loud and clear, and I see you too.");
  await alice.locator('.call[data-peer="bob"] .camera').click();
  await bob.locator('.call[data-peer="alice"] .camera').click();
  await alice.waitForFunction(
    () => Number(document.querySelector(".stats")?.getAttribute("data-frames-decoded")) > 30,
    null,
    {
      timeout: 30_000,
    },
  );
  await alice.screenshot({ path: "docs/screenshot.png", fullPage: true });
  console.log("wrote docs/screenshot.png");
} finally {
  await browser.close();
  server.stop();
}
