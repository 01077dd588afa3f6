/**
 * The examples, run as the README says: examples/browser.html in two Chromium pages, served by the server itself,
 * and examples/node-chat.ts twice in Node (werift for WebRTC). Each must hear the other.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { freshRoom } from "../../tools/test-socket.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "./chromium.js";

let server: DevServer;
beforeAll(async () => {
  server = await startNpmServer("npm run serve", { env: { ICE_SERVERS: "[]" } });
});
afterAll(async () => {
  await server?.stop();
});

describe.runIf(haveChromium)("examples/browser.html", () => {
  it("chats between two pages, names from meta", async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
    try {
      const [ann, ben] = await Promise.all([browser.newContext(), browser.newContext()]).then((contexts) =>
        Promise.all(contexts.map((context) => context.newPage())),
      );
      if (!ann || !ben) throw new Error("no pages");
      await ann.goto(`${server.url}/examples/browser.html?name=ann`);
      await ben.goto(`${server.url}/examples/browser.html?name=ben`);
      await ann.locator("#log", { hasText: "ben joined" }).waitFor({ timeout: 30_000 });
      await ann.fill("#text", "hi ben");
      await ann.press("#text", "Enter");
      await ben.locator("#log", { hasText: "ann: hi ben" }).waitFor({ timeout: 10_000 });
      expect(await ben.locator("#log").textContent()).not.toContain("error");
    } finally {
      await browser.close();
    }
  });
});

describe("examples/node-chat.ts", () => {
  it("says hello between two Node peers over WebRTC", async () => {
    const room = freshRoom("node");
    const run = (name: string) => {
      // In a process group of its own: npx passes no signal on to the node it starts, so the group is ended whole.
      const child: ChildProcess = spawn("npx", ["tsx", "examples/node-chat.ts", server.wsUrl, room, name], {
        cwd: new URL("../..", import.meta.url),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const out = { text: "" };
      child.stdout?.on("data", (chunk: Buffer) => {
        out.text += chunk.toString();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        out.text += chunk.toString();
      });
      return { child, out };
    };
    const alice = run("alice");
    await expect.poll(() => alice.out.text, { timeout: 30_000 }).toContain("joined");
    const bob = run("bob");
    try {
      await expect.poll(() => bob.out.text, { timeout: 30_000 }).toContain("alice says: hello from alice");
      await expect.poll(() => alice.out.text, { timeout: 30_000 }).toContain("bob says: hello from bob");
      expect(`${alice.out.text}${bob.out.text}`).not.toContain("error");
    } finally {
      // Regression: killing npx alone left both examples running after the test (and after CI).
      for (const { child } of [alice, bob]) if (child.pid) process.kill(-child.pid, "SIGTERM");
    }
  });
});
