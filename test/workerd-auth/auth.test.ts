/**
 * A server with join tokens, TURN, the admin route and the per-address caps switched on (the settings are in
 * vitest.config.ts): each refusal, and that the right token gets through every way a client can send it.
 */
import { env, exports } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/cloudflare/worker.js";
import type { IceServer } from "../../src/core/config/config.js";
import keys from "../fixtures/test-signing-key.json";
import { freshRoom, wsConnect } from "../workerd/ws-connect.js";

const SECRET = new TextEncoder().encode("a-test-secret-of-at-least-32-characters");
const AUDIENCE = "signal-test";

let lastAddress = 0;
/** A fresh client address per connection, so that the per-address caps only bite where a test means them to. */
const address = () => `10.${(++lastAddress >> 8) & 255}.${lastAddress & 255}.1`;

interface Mint {
  sub?: string;
  room?: unknown;
  endpoint?: unknown;
  ttl?: number;
  nbf?: number;
  aud?: string;
  key?: "hs256" | "es256" | "other";
}

async function mint({
  sub,
  room = "*",
  endpoint,
  ttl = 600,
  nbf,
  aud = AUDIENCE,
  key = "hs256",
}: Mint = {}): Promise<string> {
  const jwt = new SignJWT(endpoint === undefined ? { room } : { room, endpoint })
    .setIssuedAt()
    .setAudience(aud)
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
  if (sub !== undefined) jwt.setSubject(sub);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  if (key === "es256") {
    return jwt.setProtectedHeader({ alg: "ES256", kid: "test-es256" }).sign(await importJWK(keys.private, "ES256"));
  }
  const secret = key === "other" ? new TextEncoder().encode("another-secret-of-at-least-32-characters") : SECRET;
  return jwt.setProtectedHeader({ alg: "HS256" }).sign(secret);
}

const fetchWorker = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://signal.test${path}`, { headers: { "CF-Connecting-IP": address(), ...headers } });
const upgrade = (path: string, headers: Record<string, string> = {}) =>
  fetchWorker(path, { Upgrade: "websocket", ...headers });

async function expectRefused(response: Response, status: number, code: string, says?: RegExp) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { ok: boolean; code: string; error: string };
  expect(body).toMatchObject({ ok: false, code });
  if (says) expect(body.error).toMatch(says);
}

function accept(response: Response) {
  expect(response.status).toBe(101);
  response.webSocket?.accept();
  response.webSocket?.close(1000, "done");
}

afterEach(() => vi.restoreAllMocks());

describe("join tokens", () => {
  it("refuses an upgrade without a token with 401 unauthorized, before the room is touched", async () => {
    await expectRefused(await upgrade("/rooms/lobby"), 401, "unauthorized", /join token is required/);
  });

  it.each<[string, Mint, RegExp]>([
    ["a bad signature", { key: "other" }, /signature/],
    ["an expired token", { ttl: -120 }, /expired/],
    ["a token not valid yet", { nbf: Math.floor(Date.now() / 1000) + 600 }, /not valid yet/],
    ["another audience", { aud: "someone-else" }, /aud/],
  ])("refuses %s with 401", async (_name, claims, says) => {
    await expectRefused(await upgrade(`/rooms/lobby?token=${await mint(claims)}`), 401, "unauthorized", says);
  });

  it("refuses a token without exp, and one that is not a JWT", async () => {
    const noExp = await new SignJWT({ room: "*" })
      .setProtectedHeader({ alg: "HS256" })
      .setAudience(AUDIENCE)
      .sign(SECRET);
    await expectRefused(await upgrade(`/rooms/lobby?token=${noExp}`), 401, "unauthorized", /exp/);
    await expectRefused(await upgrade("/rooms/lobby?token=not-a-jwt"), 401, "unauthorized", /not a JWT/);
  });

  it("allows the clock skew it documents on nbf", async () => {
    accept(await upgrade(`/rooms/lobby?token=${await mint({ nbf: Math.floor(Date.now() / 1000) + 10 })}`));
  });

  it("refuses a valid token for another room with 403 forbidden; a list or * grants", async () => {
    await expectRefused(await upgrade(`/rooms/vault?token=${await mint({ room: "lobby" })}`), 403, "forbidden");
    accept(await upgrade(`/rooms/vault?token=${await mint({ room: ["lobby", "vault"] })}`));
    accept(await upgrade(`/rooms/vault?token=${await mint({ room: "*" })}`));
    await expectRefused(await upgrade(`/rooms/vault?token=${await mint({ room: 7 })}`), 401, "unauthorized", /room/);
  });

  // Room enumeration: a token for one room must not tell which other rooms exist or who is in them.
  it("answers the same for a busy room and an unused one the token does not grant", async () => {
    const busy = freshRoom("busy");
    const holder = await wsConnect(`/rooms/${busy}?token=${await mint({ room: busy })}`, {
      "CF-Connecting-IP": address(),
    });
    holder.send({ type: "register", peer_id: "alice" });
    await holder.next();
    const token = await mint({ room: "lobby" });
    const answers = await Promise.all(
      [busy, freshRoom("unused")].map(async (room) => {
        const response = await upgrade(`/rooms/${room}?token=${token}`);
        const body = (await response.json()) as { error: string };
        return { status: response.status, body: { ...body, error: body.error.replace(room, "<room>") } };
      }),
    );
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]?.status).toBe(403);
    expect((await fetchWorker("/rooms")).status).toBe(404);
  });

  it("accepts public-key tokens from AUTH_JWKS", async () => {
    accept(await upgrade(`/rooms/lobby?token=${await mint({ key: "es256" })}`));
  });

  it("takes the token as a bearer subprotocol and answers webrtc-signal, never the token", async () => {
    const token = await mint();
    const response = await upgrade("/rooms/lobby", { "Sec-WebSocket-Protocol": `webrtc-signal, bearer.${token}` });
    expect(response.headers.get("Sec-WebSocket-Protocol")).toBe("webrtc-signal");
    accept(response);
    const alone = await upgrade("/rooms/lobby", { "Sec-WebSocket-Protocol": `bearer.${token}` });
    await expectRefused(alone, 400, "bad_request", /webrtc-signal/);
  });

  it("takes the token as Authorization: Bearer", async () => {
    accept(await upgrade("/rooms/lobby", { Authorization: `Bearer ${await mint()}` }));
  });

  it("lets a connection with a sub register only that id, keeping the connection", async () => {
    const room = freshRoom("sub");
    const socket = await wsConnect(`/rooms/${room}?token=${await mint({ sub: "alice" })}`, {
      "CF-Connecting-IP": address(),
    });
    socket.send({ type: "register", peer_id: "mallory", request_id: "r" });
    expect(await socket.next()).toMatchObject({ type: "error", code: "forbidden", request_id: "r" });
    socket.send({ type: "register", peer_id: "alice" });
    expect(await socket.next()).toMatchObject({ type: "registered", peer_id: "alice" });
  });

  it("never writes a token into the logs", async () => {
    const lines: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => lines.push(args.map(String).join(" ")));
    }
    const expired = await mint({ ttl: -120 });
    const forbidden = await mint({ room: "elsewhere" });
    const inPath = await mint({ room: "elsewhere", endpoint: "peerjs" });
    await upgrade(`/rooms/lobby?token=${expired}`);
    await upgrade(`/rooms/lobby?token=${forbidden}`);
    // Regression: a join token carried in PeerJS's path (/peerjs/t/<jwt>/) was written to the log as it was.
    await upgrade(`/peerjs/t/${inPath}/peerjs?key=app&id=alice&token=own`);
    expect(lines.filter((line) => line.includes("join_refused")).length).toBe(3);
    expect(lines.some((line) => line.includes("/peerjs/t/[redacted]/peerjs"))).toBe(true);
    for (const token of [expired, forbidden, inPath]) {
      expect(lines.filter((line) => line.includes(token.split(".")[2] ?? token))).toEqual([]);
    }
  });
});

describe("join tokens on every endpoint", () => {
  it("leave no endpoint as a way around them: y-webrtc, the tracker and PeerJS each need the token", async () => {
    const peerjsQuery = "key=app&id=alice&token=peerjs-own-secret";
    for (const path of ["/y-webrtc/app", "/announce/app", `/peerjs/peerjs?${peerjsQuery}`]) {
      await expectRefused(await upgrade(path), 401, "unauthorized");
    }
    const token = await mint({ room: "app", endpoint: "*" });
    accept(await upgrade(`/y-webrtc/app?token=${token}`));
    accept(await upgrade(`/announce/app?token=${token}`));
    // PeerJS's own ?token= is its reconnect secret: the join token travels in the path.
    accept(await upgrade(`/peerjs/t/${token}/peerjs?${peerjsQuery}`));
    await expectRefused(
      await upgrade(`/peerjs/t/${await mint({ room: "other", endpoint: "peerjs" })}/peerjs?${peerjsQuery}`),
      403,
      "forbidden",
    );
    expect((await fetchWorker(`/peerjs/t/${token}/app/id`)).status).toBe(200);
    expect((await fetchWorker("/peerjs/app/id")).status).toBe(401);
  });

  // Regression: a token minted for the seed room "app" also opened the y-webrtc and tracker namespaces named "app".
  it("open only the endpoints a token names; a token without an endpoint claim opens the seed protocol's rooms", async () => {
    const seedToken = await mint({ room: "app" });
    accept(await upgrade(`/rooms/app?token=${seedToken}`));
    for (const path of [`/y-webrtc/app?token=${seedToken}`, `/announce/app?token=${seedToken}`]) {
      await expectRefused(await upgrade(path), 403, "forbidden", /does not grant the (y-webrtc|webtorrent) endpoint/);
    }
    const peerjsQuery = "key=app&id=alice&token=peerjs-own-secret";
    await expectRefused(await upgrade(`/peerjs/t/${seedToken}/peerjs?${peerjsQuery}`), 403, "forbidden");
    const yToken = await mint({ room: "app", endpoint: ["y-webrtc"] });
    accept(await upgrade(`/y-webrtc/app?token=${yToken}`));
    await expectRefused(await upgrade(`/rooms/app?token=${yToken}`), 403, "forbidden", /seed endpoint/);
    await expectRefused(
      await upgrade(`/rooms/app?token=${await mint({ room: "app", endpoint: "irc" })}`),
      401,
      "unauthorized",
    );
  });

  it("open a lobby to a token that names it and the lobby endpoint, and the rooms that lobby gives out", async () => {
    const token = await mint({ room: "chess", endpoint: ["seed", "lobby"] });
    accept(await upgrade(`/lobbies/chess?size=2&token=${token}`));
    accept(await upgrade(`/rooms/chess-abcdefghijklmnop?token=${token}`));
    await expectRefused(await upgrade(`/lobbies/go?size=2&token=${token}`), 403, "forbidden");
    const seedOnly = await mint({ room: "chess" });
    await expectRefused(await upgrade(`/lobbies/chess?size=2&token=${seedOnly}`), 403, "forbidden", /lobby endpoint/);
    await expectRefused(await upgrade(`/rooms/chess-abcdefghijklmnop?token=${seedOnly}`), 403, "forbidden");
  });
});

describe("GET /ice-servers", () => {
  it("needs a token like the WebSocket does", async () => {
    await expectRefused(await fetchWorker("/ice-servers"), 401, "unauthorized");
  });

  // Regression: a token for any one room got TURN credentials, whatever room they were for.
  it("answers only for a room the token grants", async () => {
    const bearer = { Authorization: `Bearer ${await mint({ room: "lobby" })}` };
    await expectRefused(await fetchWorker("/ice-servers", bearer), 400, "bad_request", /ice-servers\?room=/);
    await expectRefused(await fetchWorker("/ice-servers?room=vault", bearer), 403, "forbidden");
    expect((await fetchWorker("/ice-servers?room=lobby", bearer)).status).toBe(200);
  });

  // Regression: one address took 1,500 credential sets in 5.6 s.
  it("answers one address at most ICE_SERVERS_PER_IP_PER_MINUTE times a minute", async () => {
    const from = { "CF-Connecting-IP": "203.0.113.40", Authorization: `Bearer ${await mint()}` };
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await fetchWorker("/ice-servers", from)).status);
    expect(statuses.slice(0, 60).every((status) => status === 200)).toBe(true);
    await expectRefused(await fetchWorker("/ice-servers", from), 429, "too_many_requests");
    expect((await fetchWorker("/ice-servers", { ...from, "CF-Connecting-IP": "203.0.113.41" })).status).toBe(200);
  });

  it("mints TURN REST credentials bound to the token's sub, expiring with TURN_TTL", async () => {
    const response = await fetchWorker("/ice-servers", { Authorization: `Bearer ${await mint({ sub: "alice" })}` });
    const body = (await response.json()) as { iceServers: IceServer[]; ttl: number };
    expect(body.ttl).toBe(3600);
    const turn = body.iceServers.find((s) => String(s.urls).includes("turn:"));
    expect(turn?.urls).toEqual(["turn:turn.example.com:3478", "turns:turn.example.com:5349"]);
    const [expiry, who] = String(turn?.username).split(":");
    expect(who).toBe("alice");
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(3590);
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode("a-turn-secret"),
      { name: "HMAC", hash: "SHA-1" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(String(turn?.username))));
    expect(turn?.credential).toBe(btoa(String.fromCharCode(...mac)));
  });
});

describe("GET /rooms/<name>/stats", () => {
  // Regression: guesses at the admin token were not throttled.
  it("refuses an address that keeps guessing the admin token for the rest of the minute", async () => {
    const guesser = { "CF-Connecting-IP": "203.0.113.30" };
    const right = { Authorization: "Bearer an-admin-token-of-at-least-32-characters" };
    for (let i = 0; i < 10; i++) {
      const wrong = { ...guesser, Authorization: `Bearer guess-${i}` };
      await expectRefused(await fetchWorker("/rooms/lobby/stats", wrong), 401, "unauthorized");
    }
    await expectRefused(await fetchWorker("/rooms/lobby/stats", { ...guesser, ...right }), 429, "too_many_failures");
    expect((await fetchWorker("/rooms/lobby/stats", right)).status).toBe(200);
  });

  it("shows /health's limits and endpoints only with ADMIN_TOKEN; {ok: true} to anyone", async () => {
    expect(await (await fetchWorker("/health")).json()).toEqual({ ok: true, service: "webrtc-signal" });
    const admin = { Authorization: "Bearer an-admin-token-of-at-least-32-characters" };
    expect(await (await fetchWorker("/health", admin)).json()).toMatchObject({
      ok: true,
      limits: { maxPeersPerRoom: expect.any(Number) },
      endpoints: expect.arrayContaining(["seed", "lobby"]),
    });
    const wrong = { Authorization: "Bearer an-admin-token-guess-of-at-least-32-chars", "CF-Connecting-IP": address() };
    await expectRefused(await fetchWorker("/health", wrong), 401, "unauthorized");
  });

  it("needs ADMIN_TOKEN, then says what the room holds", async () => {
    const room = freshRoom("stats");
    await expectRefused(await fetchWorker(`/rooms/${room}/stats`), 401, "unauthorized");
    await expectRefused(
      await fetchWorker(`/rooms/${room}/stats`, { Authorization: "Bearer an-admin-token-guess-of-at-least-32-chars" }),
      401,
      "unauthorized",
    );
    const socket = await wsConnect(`/rooms/${room}?token=${await mint()}`, { "CF-Connecting-IP": address() });
    socket.send({ type: "register", peer_id: "alice" });
    await socket.next();
    const response = await fetchWorker(`/rooms/${room}/stats`, {
      Authorization: "Bearer an-admin-token-of-at-least-32-characters",
    });
    expect(await response.json()).toMatchObject({
      room,
      peers: 1,
      connections: 1,
      reservations: 0,
      mailboxMessages: 0,
      messagesIn: 1,
      billedRequests: 1,
    });
  });
});

describe("connection caps", () => {
  it("refuses the connection past MAX_CONNECTIONS_PER_IP in one room with 429 too_many_connections", async () => {
    const room = freshRoom("per-ip");
    const token = await mint();
    const from = { "CF-Connecting-IP": "203.0.113.7" };
    const held: Response[] = [];
    for (let i = 0; i < 3; i++) held.push(await upgrade(`/rooms/${room}?token=${token}`, from));
    await expectRefused(await upgrade(`/rooms/${room}?token=${token}`, from), 429, "too_many_connections");
    held.push(await upgrade(`/rooms/${room}?token=${token}`));
    for (const response of held) accept(response);
  });

  // Found by an adversarial run: reconnecting reset the per-connection rate (8,667 relays/s, 173x the limit), and
  // 2,000 new rooms at 154/s each left storage behind.
  it("refuses new connections past NEW_CONNECTIONS_PER_IP_PER_MINUTE across rooms", async () => {
    const token = await mint();
    const from = { "CF-Connecting-IP": "203.0.113.8" };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const response = await upgrade(`/rooms/${freshRoom("rate")}?token=${token}`, from);
      statuses.push(response.status);
      if (response.status === 101) accept(response);
    }
    expect(statuses.slice(0, 20).every((s) => s === 101)).toBe(true);
    expect(statuses[20]).toBe(429);
  });

  it("uses the Workers rate-limiting binding when the deployment has one", async () => {
    const limit = vi.fn(async () => ({ success: false }));
    const request = new Request(`http://signal.test/rooms/lobby?token=${await mint()}`, {
      headers: { Upgrade: "websocket", "CF-Connecting-IP": "203.0.113.9" },
    });
    const context = { waitUntil: () => {}, passThroughOnException: () => {} };
    const response = await worker.fetch(
      request as never,
      { ...env, CONNECT_RATE_LIMITER: { limit } } as never,
      context as never,
    );
    await expectRefused(response, 429, "too_many_connections");
    expect(limit).toHaveBeenCalledWith({ key: "203.0.113.9" });
  });
});
