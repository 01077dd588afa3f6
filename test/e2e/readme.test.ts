/**
 * The README's SDK example, run as it is written (only its server URL changed), in two Chromium pages: bob's page
 * first, before alice has joined, then alice's. Each must hear the other's hello.
 *
 * Regression: only one side created the negotiated channel, so the chat went one way; and a session created before
 * the other peer had joined met unknown_peer and never connected.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "./chromium.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

if (!haveChromium && process.env.REQUIRE_BROWSER) {
  throw new Error(`REQUIRE_BROWSER is set but there is no Chromium at ${CHROMIUM_PATH}`);
}

/** The first TypeScript block of the README's "Client SDK" section. */
function readmeExample(): string {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const section = readme.slice(readme.indexOf("## Client SDK"));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```ts block under "## Client SDK"');
  return block;
}

describe.runIf(haveChromium)("the README's SDK example", () => {
  let worker: LocalWorker;
  let pages: Server;
  let browser: Browser;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { ICE_SERVERS: "[]" } });
    const example = readmeExample();
    expect(example).toContain("wss://signal.example.com");
    const bundle = await build({
      stdin: {
        contents: `${example.replace("wss://signal.example.com", worker.wsUrl)}\nObject.assign(window, { chat });\n`,
        loader: "ts",
        resolveDir: root,
      },
      absWorkingDir: root,
      alias: { "cf-webrtc-signal/client": "./src/client/index.ts" },
      bundle: true,
      format: "esm",
      target: "es2022",
      write: false,
      logLevel: "silent",
    });
    const script = bundle.outputFiles[0]?.text ?? "";
    pages = createServer((request, response) => {
      if (request.url === "/example.js") response.setHeader("content-type", "text/javascript").end(script);
      else response.setHeader("content-type", "text/html").end('<script type="module" src="/example.js"></script>');
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
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
    await page.goto(`http://127.0.0.1:${(pages.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => "chat" in window);
    return { page, logged };
  }
  const chat = (page: Page, me: string, other: string) =>
    page.evaluate(
      ([me, other]) => (window as unknown as { chat(a: string, b: string): Promise<unknown> }).chat(me, other),
      [me, other] as const,
    );

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
