import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// This project runs with ALLOWED_ORIGINS = "https://app.example.com", ENDPOINTS = "seed" and DEMO = "false" (see
// vitest.config.ts).
const get = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://signal.test${path}`, { headers });
const upgrade = (origin?: string) =>
  get("/rooms/origins", { Upgrade: "websocket", ...(origin === undefined ? {} : { Origin: origin }) });

describe("ALLOWED_ORIGINS", () => {
  // Cross-site WebSocket hijacking: a page elsewhere opening sockets with its visitors' browsers.
  it("refuses a WebSocket from a browser on another origin with 403 origin_not_allowed", async () => {
    // Browsers hide a refused upgrade's status: the refusal is said in a frame, on a socket that never reaches a room.
    const response = await upgrade("https://evil.example");
    expect(response.status).toBe(101);
    const ws = response.webSocket as WebSocket;
    const said = new Promise<{ frame: string; code: number }>((resolve) => {
      let frame = "";
      ws.addEventListener("message", (event) => {
        frame = String(event.data);
      });
      ws.addEventListener("close", (event) => resolve({ frame, code: event.code }));
    });
    ws.accept();
    const { frame, code } = await said;
    expect(JSON.parse(frame)).toMatchObject({ type: "error", code: "origin_not_allowed" });
    expect(code).toBe(4403);
    // The same refusal to a client that sends an Origin and reads statuses, on an endpoint that is not the SDK's.
    const plain = await get("/health", { Origin: "https://evil.example" });
    expect(plain.status).toBe(403);
  });

  it("lets in a listed origin, and clients that send no Origin (not browsers)", async () => {
    for (const origin of ["https://app.example.com", undefined]) {
      const response = await upgrade(origin);
      expect(response.status).toBe(101);
      response.webSocket?.accept();
      response.webSocket?.close(1000, "done");
    }
  });

  it("answers CORS for the listed origin only, instead of *", async () => {
    const allowed = await get("/health", { Origin: "https://app.example.com" });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("vary")).toContain("Origin");
    expect((await get("/ice-servers", { Origin: "https://evil.example" })).status).toBe(403);
    expect((await get("/health")).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("ENDPOINTS", () => {
  it("answers an endpoint that is switched off with 404 endpoint_disabled, saying which setting", async () => {
    const response = await get("/y-webrtc/ns", { Upgrade: "websocket" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ ok: false, code: "endpoint_disabled", error: /ENDPOINTS/ });
  });
});

describe("DEMO", () => {
  it("serves no demo page when it is false: / is a JSON 404 that says where to connect", async () => {
    const response = await get("/");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "not_found" });
    expect((await get("/app.js")).status).toBe(404);
  });
});
