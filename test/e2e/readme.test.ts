/**
 * The README's SDK examples, run as they are written (only the server URL changed), in Chromium pages of their own:
 * the `joinRoom` one in two pages, each of which must greet the other; and the `SignalingClient` and `PeerSession`
 * one with bob's page first, before alice has joined, then alice's. Each must hear the other's hello.
 *
 * Regression: only one side created the negotiated channel, so the chat went one way; and a session created before
 * the other peer had joined met unknown_peer and never connected.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { freshRoom } from "../../tools/test-socket.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "./chromium.js";
import { bundleForPage, servePages } from "./pages.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

if (!haveChromium && process.env.REQUIRE_BROWSER) {
  throw new Error(`REQUIRE_BROWSER is set but there is no Chromium at ${CHROMIUM_PATH}`);
}

/** The `n`th TypeScript block (from 0) of the README's "Client SDK" section. */
function readmeExample(n: number): string {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const section = readme.slice(readme.indexOf("## Client SDK"));
  const block = [...section.matchAll(/```ts\n([\s\S]*?)```/g)][n]?.[1];
  if (!block) throw new Error(`README.md has no ${n + 1}th \`\`\`ts block under "## Client SDK"`);
  return block;
}

function bundled(example: string, wsUrl: string, exposed: string): Promise<string> {
  expect(example).toContain("wss://signal.example.com");
  return bundleForPage(`${example.replace("wss://signal.example.com", wsUrl)}\n${exposed}\n`);
}

describe.runIf(haveChromium)("the README's SDK example", () => {
  let worker: LocalWorker;
  let pages: { url: string; close(): void };
  let browser: Browser;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { ICE_SERVERS: "[]" } });
    // The joinRoom example joins as the page loads: each run of it needs a room of its own.
    const room = await bundled(readmeExample(0), worker.wsUrl, "Object.assign(window, { joined: room.name });");
    const chat = await bundled(readmeExample(1), worker.wsUrl, "Object.assign(window, { chat });");
    pages = await servePages((request, response) => {
      const url = request.url ?? "/";
      const js = (script: string) => response.setHeader("content-type", "text/javascript").end(script);
      if (url === "/chat.js") js(chat);
      else if (url.startsWith("/room.js")) js(room.replace('room: "lobby"', `room: "${url.split("=")[1]}"`));
      else if (url.startsWith("/room")) {
        const name = url.split("=")[1];
        response.setHeader("content-type", "text/html").end(`<script type="module" src="/room.js?r=${name}"></script>`);
      } else response.setHeader("content-type", "text/html").end('<script type="module" src="/chat.js"></script>');
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    pages?.close();
    await worker?.dispose();
  });

  /** A page of its own, as each peer's browser is, with what it logs. */
  async function open(): Promise<{ page: Page; logged: string[] }> {
    const page = await browser.newPage();
    const logged: string[] = [];
    page.on("console", (message) => logged.push(message.text()));
    await page.goto(`${pages.url}/`);
    await page.waitForFunction(() => "chat" in window);
    return { page, logged };
  }
  const chat = (page: Page, me: string, other: string) =>
    page.evaluate(
      ([me, other]) => (window as unknown as { chat(a: string, b: string): Promise<unknown> }).chat(me, other),
      [me, other] as const,
    );

  it("greets each peer that joins the room, by its name from meta, with joinRoom", async () => {
    const room = freshRoom("readme");
    const logs = await Promise.all(
      [0, 1].map(async () => {
        const page = await (await browser.newContext()).newPage();
        const logged: string[] = [];
        page.on("console", (message) => logged.push(message.text()));
        await page.goto(`${pages.url}/room?r=${room}`);
        await page.waitForFunction(() => "joined" in window);
        return logged;
      }),
    );
    for (const logged of logs) await expect.poll(() => logged, { timeout: 30_000 }).toContain("Alice: hello Alice");
    expect(logs.flat().filter((line) => /error/i.test(line))).toEqual([]);
  });

  it("chats both ways, whichever side comes first", async () => {
    const bob = await open();
    const alice = await open();
    await chat(bob.page, "bob", "alice"); // alice is not there yet
    await chat(alice.page, "alice", "bob");
    await expect.poll(() => bob.logged, { timeout: 30_000 }).toContain("alice says: hello from alice");
    await expect.poll(() => alice.logged, { timeout: 30_000 }).toContain("bob says: hello from bob");
    expect([...bob.logged, ...alice.logged].filter((line) => /error/i.test(line))).toEqual([]);
  });
});
