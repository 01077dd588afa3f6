/**
 * The quick start as a user runs it: `npm start`, spoken to by a plain `ws` client. It also lets the room
 * hibernate for real (local workerd evicts an idle object after about 10 s) and checks that the registrations
 * survive it and that keepalives do not keep the room awake.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.js";
import { connect, registeredAt } from "./ws-client.js";

let server: DevServer;
let ws = "";

beforeAll(async () => {
  server = await startDevServer();
  ws = server.url.replace(/^http/, "ws");
}, 100_000);
afterAll(() => server?.stop());

/** How often a room has logged that it was rebuilt from its sockets, i.e. woke from hibernation. */
const countWakes = () => (server.output().match(/"event":"room_woke"/g) ?? []).length;

describe("npm start", () => {
  it("serves the demo page, health and ICE servers", async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("WebRTC signaling demo");
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ ok: true });
    expect(await (await fetch(`${server.url}/ice-servers`)).json()).toMatchObject({ iceServers: expect.any(Array) });
  });

  it("speaks the seed's protocol to a plain ws client", async () => {
    const alice = await registeredAt(`${ws}/`, "alice");
    const bob = await connect(`${ws}/`);
    bob.send({ type: "register", peer_id: "bob" });
    expect(await bob.next()).toMatchObject({ type: "registered", peer_id: "bob", peers: ["alice"] });
    bob.send({ type: "list_peers" });
    expect(await bob.next()).toMatchObject({ type: "peers", peers: ["alice"] });
    bob.send({ type: "relay", to: "alice", data: { type: "offer", sdp: "v=0" } });
    expect(await alice.next()).toEqual({ type: "relay", from: "bob", data: { type: "offer", sdp: "v=0" } });
    bob.send({ type: "relay", to: "carol", data: 1 });
    expect(await bob.next()).toMatchObject({ type: "error", code: "unknown_peer" });
    await Promise.all([alice.close(), bob.close()]);
  });

  it("keeps registrations across a real hibernation of the room", async () => {
    const room = `${ws}/rooms/hibernate`;
    const alice = await registeredAt(room, "alice");
    const bob = await registeredAt(room, "bob");
    // Keepalives are answered by the runtime and must not keep the object awake.
    const keepalive = setInterval(() => alice.ws.send('{"type":"ping"}'), 2_000);
    const wokeBefore = countWakes();
    // Idle (but for runtime-answered keepalives) past workerd's hibernation timeout, then wake the room.
    await new Promise((resolve) => setTimeout(resolve, 22_000));
    alice.send({ type: "relay", to: "bob", data: "after hibernation" });
    expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "after hibernation" });
    clearInterval(keepalive);
    expect(alice.received.filter((m) => m.type === "pong").length).toBeGreaterThanOrEqual(5);
    await server.waitForOutput(() => countWakes() > wokeBefore, "the room_woke log line");
    await Promise.all([alice.close(), bob.close()]);
  }, 45_000);
});
