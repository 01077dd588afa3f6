/**
 * The real PeerJS client, unmodified, in Chromium pages with this server as its PeerServer: a data connection both
 * ways between a chosen id and a server-assigned one, and a taken id refused, on `npm start` and `npm run serve`.
 * Skipped like demo.test.ts when there is no Chromium.
 */
import { describe, expect, it } from "vitest";
import { haveChromium } from "./chromium.js";
import { HOSTS, useCompatApp } from "./compat/harness.js";

describe.skipIf(!haveChromium).each(HOSTS)("PeerJS in Chromium, on %s", (kind) => {
  const app = useCompatApp(kind, "peerjs-page.ts");

  const port = () => Number(new URL(app.signal.url).port);

  it("connects a chosen id and a server-assigned one, data both ways, and refuses a taken id", async () => {
    const key = `e2e${Date.now().toString(36)}`;
    const [alice, bob, thief] = [await app.page(), await app.page(), await app.page()];
    const aliceId = await alice.evaluate(
      ([p, k]) => window.startPeer(p as number, k as string, "alice"),
      [port(), key],
    );
    const bobId = await bob.evaluate(([p, k]) => window.startPeer(p as number, k as string), [port(), key]);
    expect(aliceId).toBe("alice");
    expect(bobId).toMatch(/^[0-9a-f-]{36}$/);
    await alice.evaluate((id) => window.connectTo(id), bobId);
    await alice.evaluate(() => window.say("hello bob"));
    await bob.waitForFunction(() => window.heard.includes("hello bob"), null, { timeout: 30_000 });
    await bob.evaluate(() => window.say("hello alice"));
    await alice.waitForFunction(() => window.heard.includes("hello alice"), null, { timeout: 30_000 });

    const refused = await thief.evaluate(
      ([p, k]) => window.startPeer(p as number, k as string, "alice").catch(() => "refused"),
      [port(), key],
    );
    expect(refused).toBe("refused");
    expect(await thief.evaluate(() => window.errors)).toContain("unavailable-id");
    await Promise.all([alice, bob, thief].map((p) => p.context().close()));
  });
});
