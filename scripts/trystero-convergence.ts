/**
 * `npm run trystero:loop`: the tracker endpoint's counterpart of yjs:loop. The real Trystero torrent strategy in two
 * Chromium pages (separate contexts) joining one room at the same moment, each saying hello at once; a run passes
 * when each page hears the other within 30 s. Loopback only, bounded, stops by itself.
 *
 * Options: --runs=N (20) --host=start|serve
 */
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../test/e2e/chromium.js";
import { serveApp } from "../test/e2e/compat/serve-app.js";
import { textOption, wholeNumberOption } from "../tools/cli-options.js";
import { startNpmServer } from "../tools/npm-server.js";

const RUNS = wholeNumberOption("runs", 20, 100);
const HOST = textOption("host", "start") === "serve" ? "npm run serve" : "npm start";

const server = await startNpmServer(HOST);
const app = await serveApp("trystero-page.ts");
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
let failed = 0;
const times: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const room = `loop-${Date.now().toString(36)}-${run}`;
    const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    await Promise.all(pages.map((p) => p.goto(app.url)));
    const started = Date.now();
    await Promise.all(
      pages.map((p, i) =>
        p.evaluate(
          ([url, r, i]) => {
            window.startRoom(url as string, "webrtc-signal-loop", r as string);
            // Inline, not a named function: tsx would wrap a named one in a helper the page does not have.
            const timer = setInterval(() => {
              if (window.peers.length === 0) return;
              clearInterval(timer);
              window.say(`hello from ${i}`);
            }, 50);
          },
          [`${server.wsUrl}/announce/loop`, room, String(i)],
        ),
      ),
    );
    const heard = await Promise.all(
      pages.map((p, i) =>
        p
          .waitForFunction((other) => window.heard.includes(`hello from ${other}`), String(1 - i), { timeout: 30_000 })
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    if (heard.every(Boolean)) times.push(Date.now() - started);
    else {
      failed++;
      console.log(`run ${run}: did not meet (${heard.join(", ")})`);
    }
    await Promise.all(contexts.map((c) => c.close()));
  }
} finally {
  await browser.close();
  app.close();
  await server.stop();
}
times.sort((a, b) => a - b);
console.log(
  `trystero: ${failed} of ${RUNS} never met; met runs p50 ${times[Math.floor(times.length / 2)] ?? 0} ms, max ${times.at(-1) ?? 0} ms`,
);
