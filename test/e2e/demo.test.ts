/**
 * Two (or three) real Chromium pages open the demo through `npm start` and talk to each other: chat over a data
 * channel, video from fake devices, both calling at once, and a cut signaling socket. Skipped, saying so, when no
 * Chromium is installed, unless REQUIRE_BROWSER is set (CI sets it).
 */
import { type Browser, type BrowserContext, chromium, type Page, type WebSocketRoute } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH, callOnDemo, haveChromium } from "./chromium.js";

if (!haveChromium) {
  if (process.env.REQUIRE_BROWSER)
    throw new Error(`REQUIRE_BROWSER is set but there is no Chromium at ${CHROMIUM_PATH}`);
  console.warn(`e2e: SKIPPED, no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}

/** What the tests read of the page's `window.demo` (see demo/app.ts). */
declare global {
  interface Window {
    demo: {
      client?: { on(event: "registered", listener: () => void): () => void };
      calls: Map<string, { session: { polite: boolean; connection(): Promise<RTCPeerConnection> } }>;
      call(peerId: string): unknown;
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

  /** Opens the demo as `name` in a fresh room per test (the same room for every page of one test). */
  async function open(name: string, room: string, beforeGoto?: (page: Page) => Promise<void>): Promise<Page> {
    context ??= await browser.newContext();
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error(`[${name}] page error:`, error.message));
    await beforeGoto?.(page);
    await page.goto(`${server.url}/#room=${room}&name=${name}&join=1`);
    await page.locator("#status[data-state=open]").waitFor();
    return page;
  }

  const newRoom = () => `e2e-${Date.now().toString(36)}-${roomCounter++}`;
  const call = (page: Page, remote: string) => page.locator(`.call[data-peer="${remote}"]`);

  async function chatReady(page: Page, remote: string): Promise<void> {
    await call(page, remote).locator(".chat-input:not([disabled])").waitFor({ timeout: 30_000 });
  }

  async function say(page: Page, remote: string, text: string): Promise<void> {
    const input = call(page, remote).locator(".chat-input");
    await input.fill(text);
    await input.press("Enter");
  }

  async function heard(page: Page, remote: string, text: string): Promise<void> {
    await call(page, remote).locator(".chat li", { hasText: text }).waitFor({ timeout: 15_000 });
  }

  async function connectPair(
    room: string,
    first?: (page: Page) => Promise<void>,
    second?: (page: Page) => Promise<void>,
  ): Promise<[Page, Page]> {
    const alice = await open("alice", room, first);
    const bob = await open("bob", room, second);
    await alice.locator('#peers li[data-peer="bob"]').waitFor();
    await bob.locator('#peers li[data-peer="alice"]').waitFor();
    await callOnDemo(alice, "alice", bob, "bob");
    return [alice, bob];
  }

  it("two pages see each other, connect, and chat both ways", async () => {
    const [alice, bob] = await connectPair(newRoom());
    await say(alice, "bob", "hello bob");
    await heard(bob, "alice", "hello bob");
    await say(bob, "alice", "hi alice");
    await heard(alice, "bob", "hi alice");
    await expect.poll(() => call(alice, "bob").locator(".conn-state").textContent()).toBe("connected");
  });

  // Incoming WebSocket messages are what a room is billed for (20 to a request): a call's setup, both sides'
  // registrations included, is counted frame by frame as the pages send them.
  it("sets up a two-peer call in at most 8 incoming messages, candidates batched", async () => {
    const room = newRoom();
    const [alice, bob] = await connectPair(room, countSentFrames, countSentFrames);
    for (const page of [alice, bob]) {
      await expect
        .poll(() =>
          page.evaluate(async () => {
            const pc = await [...window.demo.calls.values()][0]?.session.connection();
            return pc?.iceGatheringState;
          }),
        )
        .toBe("complete");
    }
    const sent = (await Promise.all([alice, bob].map((page) => page.evaluate(() => window.sentFrames)))).flat();
    const kinds = sent.map(describeFrame);
    const candidates = sent.map(candidatesIn).filter((count) => count > 0);
    const carried = candidates.reduce((sum, count) => sum + count, 0);
    console.log(`a two-peer call sent ${sent.length} messages (${carried} candidates): ${kinds.join(", ")}`);
    expect(kinds.filter((kind) => kind === "register")).toHaveLength(2);
    expect(kinds.filter((kind) => kind === "relay description")).toHaveLength(2);
    // Chromium gathers each side's host candidates in the same millisecond here: one relay carries them.
    expect(carried).toBeGreaterThanOrEqual(2);
    expect(candidates.length).toBeLessThan(carried);
    expect(sent.length).toBeLessThanOrEqual(8);
  });

  it("each side receives the other's video and decodes frames", async () => {
    const [alice, bob] = await connectPair(newRoom());
    await call(alice, "bob").locator(".camera").click();
    await call(bob, "alice").locator(".camera").click();
    for (const [page, remote] of [
      [alice, "bob"],
      [bob, "alice"],
    ] as const) {
      await expect
        .poll(async () => Number(await call(page, remote).locator(".stats").getAttribute("data-frames-decoded")), {
          timeout: 30_000,
        })
        .toBeGreaterThan(0);
      // The label on the remote video is gone once it plays.
      await call(page, remote).locator(".remote-label").waitFor({ state: "hidden" });
    }
    // Mute and camera off, without ending the call.
    await call(alice, "bob").locator(".mute").click();
    await call(alice, "bob").locator(".video-off").click();
    expect(await call(alice, "bob").locator(".mute").textContent()).toBe("Unmute");
    const enabled = await alice.evaluate(() => {
      const call = [...window.demo.calls.values()][0] as unknown as { localStream: MediaStream };
      return call.localStream.getTracks().map((track) => track.enabled);
    });
    expect(enabled).toEqual([false, false]);
  });

  it("loads without a console error, and says the name rule in words, clearing the last error", async () => {
    context ??= await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${server.url}/#room=${newRoom()}`);
    await page.locator("#name").fill("has space");
    await page.locator("#join").evaluate((form: HTMLFormElement) => form.requestSubmit());
    await expect.poll(() => page.locator("#join-error").textContent()).toContain("Your name must be 1 to 64");
    await page.locator("#name").fill("fine-name");
    await page.locator("#join").evaluate((form: HTMLFormElement) => form.requestSubmit());
    await page.locator("#status[data-state=open]").waitFor();
    expect(await page.locator("#join-error").isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  // Regressions: an offer of ours queued while the remote offer was being handled became a second answer, and the
  // impolite side, already stable, failed on it; the chat never opened in about one run of three. Later, about one
  // run in fifty: the polite side rolled back an offer whose gathering had only begun, and Chromium then gathered
  // nothing for its answer (see the rollback test in src/client/peer-session.test.ts).
  it("ends in one working connection when both sides call at the same moment (glare)", async () => {
    const room = newRoom();
    const alice = await open("alice", room);
    const bob = await open("bob", room);
    await alice.locator('#peers li[data-peer="bob"]').waitFor();
    await bob.locator('#peers li[data-peer="alice"]').waitFor();
    await Promise.all([
      alice.evaluate(() => void window.demo.call("bob")),
      bob.evaluate(() => void window.demo.call("alice")),
    ]);
    await Promise.all([chatReady(alice, "bob"), chatReady(bob, "alice")]);
    await say(alice, "bob", "glare from alice");
    await heard(bob, "alice", "glare from alice");
    await say(bob, "alice", "glare from bob");
    await heard(alice, "bob", "glare from bob");
    expect(await alice.locator(".call").count()).toBe(1);
    expect(await bob.locator(".call").count()).toBe(1);
    const states = await Promise.all(
      [alice, bob].map((p) => p.evaluate(() => [...window.demo.calls.values()].map((c) => c.session.polite))),
    );
    expect(states.flat().sort()).toEqual([false, true]);
  });

  it("ends the call card, and frees its button, when the other peer leaves", async () => {
    const room = newRoom();
    const [alice, bob] = await connectPair(room);
    await bob.close(); // a closed tab: a goodbye, so alice hears peer_left at once
    await call(alice, "bob").waitFor({ state: "detached", timeout: 15_000 });
    await alice.locator('#peers li[data-peer="bob"]').waitFor({ state: "detached" });
    const carol = await open("carol", room);
    await alice.locator('#peers li[data-peer="carol"] button:not([disabled])').waitFor();
    await carol.close();
  });

  it("keeps its name and peer id across a reload, and shows signaling errors on the page", async () => {
    const room = newRoom();
    const alice = await open("alice", room);
    const bob = await open("bob", room);
    await bob.locator('#peers li[data-peer="alice"]').waitFor();
    await alice.reload();
    await alice.locator("#status[data-state=open]").waitFor();
    expect(await alice.locator("#me").textContent()).toBe("alice");
    await alice.locator('#peers li[data-peer="bob"]').waitFor();
    await bob.locator('#peers li[data-peer="alice"]').waitFor();
    await alice.evaluate(() => {
      const client = window.demo.client as unknown as { relay(to: string, data: unknown): void };
      client.relay("nobody-here", { rtc: "bye" });
    });
    await expect.poll(() => alice.locator("#signal-error").textContent()).toContain("unknown_peer");
  });

  it("reconnects a cut signaling socket while the peer connection keeps working", async () => {
    const room = newRoom();
    const routes: WebSocketRoute[] = [];
    const [alice, bob] = await connectPair(room, (page) =>
      page.routeWebSocket(/\/rooms\//, (ws) => {
        ws.connectToServer();
        routes.push(ws);
      }),
    );
    const registrations = await alice.evaluate(() => {
      const w = window as unknown as { registrations: number };
      w.registrations = 0;
      window.demo.client?.on("registered", () => w.registrations++);
      return w.registrations;
    });
    expect(registrations).toBe(0);

    // Cut alice's signaling socket, as a network would.
    await routes[routes.length - 1]?.close({ code: 4500, reason: "cut by test" });
    await alice.locator("#status[data-state=reconnecting]").waitFor();
    // The peer connection does not need signaling once it is up.
    await say(alice, "bob", "still here");
    await heard(bob, "alice", "still here");
    await say(bob, "alice", "me too");
    await heard(alice, "bob", "me too");

    await alice.locator("#status[data-state=open]").waitFor({ timeout: 40_000 });
    expect(await alice.evaluate(() => (window as unknown as { registrations: number }).registrations)).toBeGreaterThan(
      0,
    );
    // A new connection can be set up through the new socket.
    const carol = await open("carol", room);
    await carol.locator('#peers li[data-peer="alice"] button').click();
    await Promise.all([chatReady(carol, "alice"), chatReady(alice, "carol")]);
    await say(carol, "alice", "hello from carol");
    await heard(alice, "carol", "hello from carol");
  });
});
