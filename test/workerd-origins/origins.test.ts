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
    const response = await upgrade("https://evil.example");
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ ok: false, code: "origin_not_allowed" });
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
