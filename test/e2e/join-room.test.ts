/**
 * joinRoom in Chromium, each page a browser context of its own: a mesh of three with a secret (and no SDP in any
 * frame the server sees), a wrong secret reported on both sides, large and binary messages, leaving, and a lobby
 * pairing four pages into two rooms.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";
import { freshRoom } from "../../tools/test-socket.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, haveChromium } from "./chromium.js";
import { bundleForPage, servePages } from "./pages.js";

if (!haveChromium && process.env.REQUIRE_BROWSER) {
  throw new Error(`REQUIRE_BROWSER is set but there is no Chromium at ${CHROMIUM_PATH}`);
}

/** What each page runs: joinRoom with a WebSocket that records every frame, both ways, and what the room says. */
const PAGE_SCRIPT = `
import { joinRoom } from "./src/client/index.ts";
const frames = [];
class RecordingWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    this.addEventListener("message", (event) => frames.push(String(event.data)));
  }
  send(data) { frames.push(String(data)); super.send(data); }
}
const log = [];
let room;
window.test = {
  frames, log,
  async join(options) {
    room = await joinRoom({ ...options, WebSocket: RecordingWebSocket });
    room.on("peer-join", ({ peerId, meta }) => log.push(["join", peerId, meta]));
    room.on("peer-leave", ({ peerId }) => log.push(["leave", peerId]));
    room.on("error", (error) => log.push(["error", error.code, error.peerId]));
    room.on("message", ({ from, data }) => {
      const shown = data instanceof ArrayBuffer ? { bytes: data.byteLength, sum: new Uint8Array(data).reduce((a, b) => a + b, 0) } : data;
      log.push(["message", from, shown]);
    });
    return { name: room.name, peerId: room.peerId };
  },
  peers: () => [...room.peers.keys()].sort(),
  metas: () => [...room.peers.values()].map((p) => p.meta),
  send: (data, to) => room.send(data, to),
  sendBytes: (n) => room.send(new Uint8Array(n).map((_, i) => i % 7)),
  leave: () => room.leave(),
};
`;

describe.runIf(haveChromium)("joinRoom in Chromium", () => {
  let worker: LocalWorker;
  let pages: { url: string; close(): void };
  let browser: Browser;
  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { ICE_SERVERS: "[]" } });
    const script = await bundleForPage(PAGE_SCRIPT);
    pages = await servePages((request, response) => {
      if (request.url === "/test.js") response.setHeader("content-type", "text/javascript").end(script);
      else response.setHeader("content-type", "text/html").end('<script type="module" src="/test.js"></script>');
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    pages?.close();
    await worker?.dispose();
  });

  async function open(): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${pages.url}/`);
    await page.waitForFunction(() => "test" in window);
    return page;
  }
  type Log = Array<[string, ...unknown[]]>;
  const logOf = (page: Page) => page.evaluate(() => (window as unknown as { test: { log: Log } }).test.log);
  const call = <T>(page: Page, fn: string, ...args: unknown[]) =>
    page.evaluate(
      ([fn, args]) =>
        (window as unknown as { test: Record<string, (...a: unknown[]) => unknown> }).test[fn as string]?.(
          ...(args as unknown[]),
        ),
      [fn, args] as const,
    ) as Promise<T>;

  it("meshes three pages with a secret: every pair connected, names from meta, no SDP in any frame", async () => {
    const room = freshRoom("mesh");
    const [a, b, c] = await Promise.all([open(), open(), open()]);
    const options = (name: string) => ({
      url: worker.wsUrl,
      room,
      peerId: name,
      meta: { name },
      secret: "correct horse",
    });
    await call(a, "join", options("ann"));
    await call(b, "join", options("ben"));
    await call(c, "join", options("cat"));
    await expect.poll(() => call(a, "peers"), { timeout: 30_000 }).toEqual(["ben", "cat"]);
    await expect.poll(() => call(b, "peers"), { timeout: 30_000 }).toEqual(["ann", "cat"]);
    await expect.poll(() => call(c, "peers"), { timeout: 30_000 }).toEqual(["ann", "ben"]);
    expect(await call(c, "metas")).toEqual(expect.arrayContaining([{ name: "ann" }, { name: "ben" }]));

    await call(a, "send", { hello: "from ann" });
    await call(b, "send", "to cat only", "cat");
    await call(c, "sendBytes", 200_000);
    await expect.poll(() => logOf(c), { timeout: 10_000 }).toContainEqual(["message", "ann", { hello: "from ann" }]);
    await expect.poll(() => logOf(c), { timeout: 10_000 }).toContainEqual(["message", "ben", "to cat only"]);
    const sum = Array.from({ length: 200_000 }, (_, i) => i % 7).reduce((x, y) => x + y, 0);
    for (const page of [a, b]) {
      await expect
        .poll(() => logOf(page), { timeout: 10_000 })
        .toContainEqual(["message", "cat", { bytes: 200_000, sum }]);
    }
    expect((await logOf(a)).some(([kind, from]) => kind === "message" && from === "ben")).toBe(false);

    // What the server saw: registrations with meta, and sealed relays; never an SDP or a candidate.
    for (const page of [a, b, c]) {
      const frames = await page.evaluate(() => (window as unknown as { test: { frames: string[] } }).test.frames);
      const messages = frames.map((f) => JSON.parse(f) as { type: string; data?: Record<string, unknown> });
      const relays = messages.filter((m) => m.type === "relay");
      expect(relays.length).toBeGreaterThan(2);
      for (const { data } of relays) expect(Object.keys(data ?? {}).sort()).toEqual(["ct", "iv", "sealed"]);
      // Beside the ciphertext (random base64, which may spell anything), nothing of a session description.
      const clear = messages.map((m) => JSON.stringify(m.type === "relay" ? { ...m, data: "sealed" } : m));
      for (const text of clear) expect(text).not.toMatch(/v=0|candidate|sdp|ice-ufrag|fingerprint/);
    }
    for (const page of [a, b, c]) expect((await logOf(page)).filter(([kind]) => kind === "error")).toEqual([]);

    await call(b, "leave");
    await expect.poll(() => call(a, "peers"), { timeout: 10_000 }).toEqual(["cat"]);
    await expect.poll(() => logOf(c), { timeout: 10_000 }).toContainEqual(["leave", "ben"]);
  });

  it("says wrong_secret on both sides when two peers hold different secrets, and connects neither", async () => {
    const room = freshRoom("secret");
    const [a, b] = await Promise.all([open(), open()]);
    await call(a, "join", { url: worker.wsUrl, room, peerId: "ann", secret: "one" });
    await call(b, "join", { url: worker.wsUrl, room, peerId: "ben", secret: "two" });
    await expect.poll(() => logOf(a), { timeout: 15_000 }).toContainEqual(["error", "wrong_secret", "ben"]);
    await expect.poll(() => logOf(b), { timeout: 15_000 }).toContainEqual(["error", "wrong_secret", "ann"]);
    expect(await call(a, "peers")).toEqual([]);
  });

  it("pairs four pages waiting in a lobby of 2 into two rooms", async () => {
    const lobby = freshRoom("quick");
    const all = await Promise.all([open(), open(), open(), open()]);
    const joined = await Promise.all(
      all.map((page, i) =>
        call<{ name: string }>(page, "join", { url: worker.wsUrl, lobby, size: 2, peerId: `p${i}` }),
      ),
    );
    const rooms = new Map<string, number>();
    for (const { name } of joined) rooms.set(name, (rooms.get(name) ?? 0) + 1);
    expect([...rooms.values()]).toEqual([2, 2]);
    for (const [i, page] of all.entries()) {
      await expect.poll(() => call<string[]>(page, "peers"), { timeout: 30_000 }).toHaveLength(1);
      const partner = joined.findIndex((j, k) => k !== i && j.name === joined[i]?.name);
      expect(await call(page, "peers")).toEqual([`p${partner}`]);
    }
  });
});
