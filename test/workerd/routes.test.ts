import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const get = (path: string, init?: RequestInit) => exports.default.fetch(`http://signal.test${path}`, init);

describe("HTTP routes", () => {
  it("serves the demo page on GET /", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("WebRTC signaling demo");
    expect((await get("/app.js")).status).toBe(200);
  });

  it("serves ICE servers for clients that bring none", async () => {
    const response = await get("/ice-servers");
    expect(await response.json()).toEqual({ iceServers: [{ urls: "stun:stun.cloudflare.com:3478" }], ttl: 86_400 });
  });

  it("answers a CORS preflight, so that a page elsewhere can send its token to /ice-servers", async () => {
    const response = await get("/ice-servers", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Headers": "authorization" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toBe("Authorization");
  });

  it("has no admin route unless ADMIN_TOKEN is set", async () => {
    const response = await get("/rooms/lobby/stats", { headers: { Authorization: "Bearer anything" } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ ok: false, code: "not_found" });
  });

  it("names webrtc-signal when a client offers it, in open mode too", async () => {
    const response = await get("/rooms/lobby", {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "webrtc-signal" },
    });
    expect(response.status).toBe(101);
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBe("webrtc-signal");
    response.webSocket?.accept();
    response.webSocket?.close(1000, "done");
  });

  // Regression: /health showed every limit to anyone, telling a stranger how to size an attack.
  it("reports health, and nothing of its limits, to anyone", async () => {
    const response = await get("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, service: "webrtc-signal" });
  });

  it("takes a first join's location hint, and refuses one Cloudflare does not have", async () => {
    const placed = await exports.default.fetch("http://signal.test/rooms/placed?location=weur", {
      headers: { Upgrade: "websocket" },
    });
    expect(placed.status).toBe(101);
    placed.webSocket?.accept();
    placed.webSocket?.close(1000, "done");
    const refused = await exports.default.fetch("http://signal.test/rooms/placed?location=mars", {
      headers: { Upgrade: "websocket" },
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "bad_request", error: expect.stringContaining("weur") });
  });

  it("answers an unknown path with 404 JSON", async () => {
    const response = await get("/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ ok: false, code: "not_found" });
  });

  it.each(["/rooms/", "/rooms/has%20space", "/rooms/a/b", `/rooms/${"r".repeat(65)}`, "/rooms/%E0%A4%A"])(
    "answers a bad room name (%s) with 400 JSON",
    async (path) => {
      const response = await get(path, { headers: { Upgrade: "websocket" } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ ok: false, code: "invalid_room" });
    },
  );

  it("answers a plain GET of a room with 426, since it is a WebSocket endpoint", async () => {
    const response = await get("/rooms/lobby");
    expect(response.status).toBe(426);
    expect(await response.json()).toMatchObject({ code: "upgrade_required" });
  });
});
