/**
 * Real Chromium pages open the demo through `npm start`: a room's mesh with its chat, names and camera tiles, a
 * secret that keeps SDP from the server, a lobby's quick match, leaving, reloading, a cut signaling socket, and the
 * things a new user met before (an empty room card, two camera buttons, errors that stayed, a name taken twice).
 * Skipped, saying so, when no Chromium is installed, unless REQUIRE_BROWSER is set (CI sets it).
 */
import { type Browser, type BrowserContext, chromium, type Page, type WebSocketRoute } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, connectedOnDemo, haveChromium } from "./chromium.js";

if (!haveChromium) {
  if (process.env.REQUIRE_BROWSER)
    throw new Error(`REQUIRE_BROWSER is set but there is no Chromium at ${CHROMIUM_PATH}`);
  console.warn(`e2e: SKIPPED, no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}

/** What the tests read of the page's `window.demo` (see demo/app.ts). */
declare global {
  interface Window {
    demo: {
      room?: {
        name: string;
        peers: ReadonlyMap<string, { connection: RTCPeerConnection }>;
      };
    };
    sentFrames: string[];
  }
}

/** Records every frame the page's WebSockets send, in `window.sentFrames`. */
async function countSentFrames(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const frames: string[] = [];
    window.sentFrames = frames;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      frames.push(typeof data === "string" ? data : "(binary)");
      send.call(this, data);
    };
  });
}

/** A frame as "register", "relay description", "relay candidates", "ping"... */
function describeFrame(frame: string): string {
  try {
    const message = JSON.parse(frame) as { type?: string; data?: { rtc?: string } };
    return message.data?.rtc ? `${message.type} ${message.data.rtc}` : String(message.type);
  } catch {
    return frame;
  }
}

/** How many ICE candidates a frame relays. */
function candidatesIn(frame: string): number {
  try {
    const { data } = JSON.parse(frame) as { data?: { rtc?: string; candidates?: unknown[] } };
    return data?.rtc === "candidate" ? 1 : data?.rtc === "candidates" ? (data.candidates?.length ?? 0) : 0;
  } catch {
    return 0;
  }
}

let server: DevServer;
let browser: Browser;
let context: BrowserContext | undefined;
let roomCounter = 0;

describe.skipIf(!haveChromium)("the demo in Chromium", () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startNpmServer("npm start"),
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  interface OpenOptions {
    secret?: string;
    beforeGoto?: (page: Page) => Promise<void>;
    /** A browser context of its own (a separate browser's storage), rather than the test's shared one. */
    alone?: boolean;
  }

  /** Opens the demo as `name` and joins `room` through the form. */
  async function open(name: string, room: string, options: OpenOptions = {}): Promise<Page> {
    context ??= await browser.newContext();
    const page = await (options.alone ? await browser.newContext() : context).newPage();
    page.on("pageerror", (error) => console.error(`[${name}] page error:`, error.message));
    await options.beforeGoto?.(page);
    await page.goto(`${server.url}/#room=${room}&name=${name}`);
    if (options.secret) await page.fill("#secret", options.secret);
    await page.click("#join button[type=submit]");
    await page.locator("#status[data-state=open]").waitFor();
    return page;
  }

  const newRoom = () => `e2e-${Date.now().toString(36)}-${roomCounter++}`;

  async function say(page: Page, text: string): Promise<void> {
    await page.fill("#chat-input", text);
    await page.press("#chat-input", "Enter");
  }

  async function heard(page: Page, who: string, text: string): Promise<void> {
    await page.locator("#chat li", { hasText: text }).filter({ hasText: who }).waitFor({ timeout: 15_000 });
  }

  async function connectPair(room: string, first: OpenOptions = {}, second: OpenOptions = {}): Promise<[Page, Page]> {
    const alice = await open("alice", room, first);
    const bob = await open("bob", room, second);
    await connectedOnDemo(alice, "alice", bob, "bob");
    return [alice, bob];
  }

  it("connects two pages in a room, and they chat both ways", async () => {
    const [alice, bob] = await connectPair(newRoom());
    await say(alice, "hello bob");
    await heard(bob, "alice", "hello bob");
    await say(bob, "hi alice");
    await heard(alice, "bob", "hi alice");
    expect(await alice.locator("#peer-count").textContent()).toContain("1 other peer");
  });

  // Incoming WebSocket messages are what a room is billed for (20 to a request): a call's setup, both sides'
  // registrations included, is counted frame by frame as the pages send them.
  it("sets up a two-peer connection in at most 8 incoming messages, candidates batched", async () => {
    const [alice, bob] = await connectPair(newRoom(), { beforeGoto: countSentFrames }, { beforeGoto: countSentFrames });
    for (const page of [alice, bob]) {
      await expect
        .poll(() => page.evaluate(() => [...(window.demo.room?.peers.values() ?? [])][0]?.connection.iceGatheringState))
        .toBe("complete");
    }
    const sent = (await Promise.all([alice, bob].map((page) => page.evaluate(() => window.sentFrames)))).flat();
    const kinds = sent.map(describeFrame);
    const candidates = sent.map(candidatesIn).filter((count) => count > 0);
    const carried = candidates.reduce((sum, count) => sum + count, 0);
    console.log(`a two-peer call sent ${sent.length} messages (${carried} candidates): ${kinds.join(", ")}`);
    expect(kinds.filter((kind) => kind === "register")).toHaveLength(2);
    expect(kinds.filter((kind) => kind === "relay description")).toHaveLength(2);
    expect(carried).toBeGreaterThanOrEqual(2);
    expect(candidates.length).toBeLessThan(carried);
    expect(sent.length).toBeLessThanOrEqual(8);
  });

  // Regression: "Camera off" then showed two "Camera on" buttons, and the other side an unlabelled black tile.
  it("shows each camera as a tile labelled with its name, with one camera button that stops it too", async () => {
    const [alice, bob] = await connectPair(newRoom());
    await alice.click("#camera");
    await bob.click("#camera");
    for (const [page, remote] of [
      [alice, "bob"],
      [bob, "alice"],
    ] as const) {
      const tile = page.locator(`.tile[data-peer="${remote}"]`);
      await expect
        .poll(async () => Number(await tile.getAttribute("data-frames-decoded")), { timeout: 30_000 })
        .toBeGreaterThan(0);
      expect(await tile.locator("figcaption").textContent()).toBe(remote);
      expect(await page.locator(".tile figcaption", { hasText: "you" }).count()).toBe(1);
    }
    await alice.click("#mute");
    expect(await alice.locator("#mute").textContent()).toBe("Unmute");
    await alice.click("#camera");
    expect(await alice.locator("button", { hasText: /camera/i }).allTextContents()).toEqual(["Start camera"]);
    expect(await alice.locator("#mute").isHidden()).toBe(true);
    expect(await alice.locator(".tile figcaption", { hasText: "you" }).count()).toBe(0);
    await bob.locator('.tile[data-peer="alice"]').waitFor({ state: "detached", timeout: 15_000 });
  });

  // Regression: #lobby {display: grid} beat [hidden]: an empty "Room / You are ." card showed under the form.
  it("loads without a console error or an empty room card, and says the name rule in words", async () => {
    context ??= await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${server.url}/#room=${newRoom()}`);
    expect(await page.locator("#lobby").isVisible()).toBe(false);
    await page.locator("#name").fill("has space");
    await page.click("#join button[type=submit]");
    await expect.poll(() => page.locator("#join-error").textContent()).toContain("Your name must be 1 to 64");
    await page.locator("#name").fill("fine-name");
    await page.click("#join button[type=submit]");
    await page.locator("#status[data-state=open]").waitFor();
    expect(await page.locator("#join-error").isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("meshes three pages with a room secret, and no SDP reaches the server", async () => {
    const room = newRoom();
    const secret = { secret: "correct horse", beforeGoto: countSentFrames };
    const alice = await open("alice", room, secret);
    const bob = await open("bob", room, secret);
    const carol = await open("carol", room, secret);
    await connectedOnDemo(alice, "alice", bob, "bob");
    await connectedOnDemo(alice, "alice", carol, "carol");
    await connectedOnDemo(bob, "bob", carol, "carol");
    await say(carol, "sealed hello");
    await heard(alice, "carol", "sealed hello");
    await heard(bob, "carol", "sealed hello");
    expect(await alice.locator("#sealed").isVisible()).toBe(true);
    for (const page of [alice, bob, carol]) {
      const sent = (await page.evaluate(() => window.sentFrames)).map((f) => JSON.parse(f));
      const relays = sent.filter((m) => m.type === "relay");
      expect(relays.length).toBeGreaterThan(0);
      for (const { data } of relays) expect(Object.keys(data).sort()).toEqual(["ct", "iv", "sealed"]);
      for (const m of sent)
        expect(JSON.stringify(m.type === "relay" ? { ...m, data: 0 } : m)).not.toMatch(/sdp|candidate/);
    }
  });

  it("pairs four pages pressing Quick match into two rooms of two", async () => {
    const pages: Page[] = [];
    for (let i = 0; i < 4; i++) {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${server.url}/#name=q${i}-${roomCounter}`);
      await page.click("#quick");
      pages.push(page);
    }
    for (const page of pages) await page.locator("#status[data-state=open]").waitFor({ timeout: 30_000 });
    const rooms = await Promise.all(pages.map((page) => page.locator("#room-name").textContent()));
    expect(new Set(rooms).size).toBe(2);
    for (const page of pages) await page.locator("#peers li").first().waitFor({ timeout: 30_000 });
    for (const page of pages) expect(await page.locator("#peers li").count()).toBe(1);
    for (const page of pages) await page.context().close();
  });

  // Regression: an unknown_peer error stayed on the page after the other peer had left.
  it("leaves with the Leave button: the others see it go, and an error about that peer goes with it", async () => {
    const room = newRoom();
    const [alice, bob] = await connectPair(room);
    const mallory = await open("mallory", room, { secret: "not ours" });
    await expect.poll(() => alice.locator("#room-error").textContent(), { timeout: 15_000 }).toContain("wrong_secret");
    await mallory.click("#leave");
    await mallory.locator("#join").waitFor();
    expect(await mallory.locator("#lobby").isVisible()).toBe(false);
    await alice.locator("#room-error").waitFor({ state: "hidden", timeout: 15_000 });
    await bob.click("#leave");
    await alice.locator('#peers li[data-peer="bob"]').waitFor({ state: "detached", timeout: 15_000 });
    await heard(alice, "bob", "left");
  });

  // Regression: a taken name was reported twice, and the badge said "closed".
  it("says once that a name is taken, and the badge says not connected", async () => {
    const room = newRoom();
    await open("alice", room);
    const twin = await (await browser.newContext()).newPage();
    await twin.goto(`${server.url}/#room=${room}&name=alice`);
    await twin.click("#join button[type=submit]");
    await expect.poll(() => twin.locator("#join-error").textContent()).toContain("peer_id_taken");
    expect(await twin.locator(".error:visible").count()).toBe(1);
    expect(await twin.locator("#status").textContent()).toBe("not connected");
    await twin.context().close();
  });

  it("keeps its name and peer id across a reload, and connects again", async () => {
    const room = newRoom();
    const [alice, bob] = await connectPair(room);
    await alice.reload();
    await alice.locator("#status[data-state=open]").waitFor();
    expect(await alice.locator("#me").textContent()).toBe("alice");
    await connectedOnDemo(alice, "alice", bob, "bob");
    await say(alice, "back again");
    await heard(bob, "alice", "back again");
  });

  it("reconnects a cut signaling socket while the peer connections keep working", async () => {
    const room = newRoom();
    const routes: WebSocketRoute[] = [];
    const [alice, bob] = await connectPair(room, {
      beforeGoto: (page) =>
        page.routeWebSocket(/\/rooms\//, (ws) => {
          ws.connectToServer();
          routes.push(ws);
        }),
    });
    // Cut alice's signaling socket, as a network would.
    await routes[routes.length - 1]?.close({ code: 4500, reason: "cut by test" });
    await alice.locator("#status[data-state=reconnecting]").waitFor();
    // The peer connection does not need signaling once it is up.
    await say(alice, "still here");
    await heard(bob, "alice", "still here");
    await alice.locator("#status[data-state=open]").waitFor({ timeout: 40_000 });
    // A new connection can be set up through the new socket.
    const carol = await open("carol", room);
    await connectedOnDemo(carol, "carol", alice, "alice");
    await say(carol, "hello from carol");
    await heard(alice, "carol", "hello from carol");
  });
});
