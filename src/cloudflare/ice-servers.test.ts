import { afterEach, describe, expect, it, vi } from "vitest";
import { CLOUDFLARE_TURN_API, iceServersFor, STATIC_ICE_TTL_SECONDS } from "./ice-servers.js";

const STUN = [{ urls: "stun:stun.cloudflare.com:3478" }];
const CLOUDFLARE = { kind: "cloudflare", keyId: "key123", apiToken: "api-token", ttl: 600 } as const;

afterEach(() => vi.restoreAllMocks());

describe("iceServersFor", () => {
  it("answers STUN alone, for a day, without TURN", async () => {
    expect(await iceServersFor({ iceServers: STUN, turn: undefined }, undefined)).toEqual({
      iceServers: STUN,
      ttl: STATIC_ICE_TTL_SECONDS,
    });
  });

  it("asks Cloudflare Realtime for TURN credentials and passes them on", async () => {
    const turn = { urls: ["turn:turn.cloudflare.com:3478?transport=udp"], username: "u", credential: "c" };
    const fetcher = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) =>
      Response.json({ iceServers: [{ urls: ["stun:stun.cloudflare.com:3478"] }, turn] }, { status: 201 }),
    );
    const answer = await iceServersFor({ iceServers: STUN, turn: CLOUDFLARE }, "alice", fetcher as typeof fetch);
    expect(answer).toEqual({ iceServers: [...STUN, { urls: ["stun:stun.cloudflare.com:3478"] }, turn], ttl: 600 });
    const [url, init] = fetcher.mock.calls[0] ?? [];
    expect(url).toBe(`${CLOUDFLARE_TURN_API}/key123/credentials/generate-ice-servers`);
    expect(init?.method).toBe("POST");
    expect(new Headers(init?.headers).get("Authorization")).toBe("Bearer api-token");
    expect(JSON.parse(String(init?.body))).toEqual({ ttl: 600 });
  });

  it.each([
    ["an HTTP error", async () => new Response("no", { status: 503 })],
    ["a network failure", async () => Promise.reject(new TypeError("fetch failed"))],
    ["an answer without servers", async () => Response.json({})],
  ])("degrades to STUN on %s, logging it, never failing", async (_name, answer) => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const result = await iceServersFor({ iceServers: STUN, turn: CLOUDFLARE }, undefined, answer as typeof fetch);
    expect(result.iceServers).toEqual(STUN);
    expect(result.ttl).toBeLessThanOrEqual(60);
    expect(error).toHaveBeenCalledWith(expect.stringContaining("turn_credentials_failed"));
    expect(String(error.mock.calls[0]?.[0])).not.toContain("api-token");
  });

  it("mints coturn credentials with a random id when the caller has no sub", async () => {
    const turn = { kind: "shared-secret" as const, secret: "s", urls: ["turn:t.example"], ttl: 60 };
    const a = await iceServersFor({ iceServers: [], turn }, undefined, fetch, 1_000_000);
    const b = await iceServersFor({ iceServers: [], turn }, undefined, fetch, 1_000_000);
    expect(a.iceServers[0]?.username).toMatch(/^1060:[A-Za-z0-9_-]{12}$/);
    expect(a.iceServers[0]?.username).not.toBe(b.iceServers[0]?.username);
  });
});
