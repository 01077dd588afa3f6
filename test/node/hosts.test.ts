/**
 * The server as users run it, spoken to by plain `ws` clients: the conformance suite and what only a real process
 * shows, on `npm start` (wrangler dev) and on `npm run serve` (the self-hosted server). Adding a host is one line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, type NpmServerKind, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, freshRoom, register } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";
import { conformance } from "../conformance/suite.js";
import { yWebrtcConformance } from "../conformance/y-webrtc-suite.js";

const HOSTS: NpmServerKind[] = ["npm start", "npm run serve"];

describe.each(HOSTS)("%s", (kind) => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startNpmServer(kind);
  }, 100_000);
  afterAll(async () => {
    closeAll();
    await server?.stop();
  });

  const host = { connect: (path: string) => connectWs(`${server.wsUrl}${path}`), ordersBursts: true };
  conformance(kind, host);
  yWebrtcConformance(kind, host);

  it("serves the demo page, health and ICE servers", async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("WebRTC signaling demo");
    expect((await fetch(`${server.url}/app.js`)).headers.get("content-type")).toContain("javascript");
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ ok: true });
    expect(await (await fetch(`${server.url}/ice-servers`)).json()).toMatchObject({ iceServers: expect.any(Array) });
    expect(await (await fetch(`${server.url}/nope`)).json()).toMatchObject({ code: "not_found" });
  });

  it("delivers the data of a relay written in the SDK's shape byte for byte", async () => {
    const room = `${server.wsUrl}/rooms/${freshRoom("bytes")}`;
    const alice = await register(await connectWs(room), "alice");
    const raw = await connectWs<string>(room, { decode: (text) => text });
    raw.send({ type: "register", peer_id: "bob" });
    await raw.next();
    const data = '{"n": 1.0, "big": 12345678901234567890, "s": "\\u00e9" }';
    alice.sendRaw(`{"type":"relay","to":"bob","seq":1,"request_id":"r1","data": ${data}}`);
    expect(await raw.next()).toBe(`{"type":"relay","from":"alice","data": ${data},"seq":1}`);
  });

  /** How often a room has logged that it was rebuilt from its sockets, i.e. woke from hibernation. */
  const countWakes = () => (server.output().match(/"event":"room_woke"/g) ?? []).length;

  it("keeps registrations across a real hibernation of the room, keepalives not waking it", async () => {
    const room = `${server.wsUrl}/rooms/${freshRoom("hibernate")}`;
    const alice = await register(await connectWs(room), "alice");
    const bob = await register(await connectWs(room), "bob");
    // Keepalives are answered by the runtime and must not keep the object awake.
    const keepalive = setInterval(() => alice.sendRaw('{"type":"ping"}'), 2_000);
    const wokeBefore = countWakes();
    // Idle (but for runtime-answered keepalives) past workerd's hibernation timeout, then wake the room.
    await new Promise((resolve) => setTimeout(resolve, 22_000));
    alice.send({ type: "relay", to: "bob", data: "after hibernation" });
    expect(await bob.next()).toEqual({
      type: "relay",
      from: "alice",
      data: "after hibernation",
      seq: expect.any(Number),
    });
    clearInterval(keepalive);
    expect(alice.received.filter((m) => m.type === "pong").length).toBeGreaterThanOrEqual(5);
    await server.waitForOutput(() => countWakes() > wokeBefore, "the room_woke log line");
  }, 45_000);
});
