import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_ICE_SERVERS,
  readAllowedOrigins,
  readAuth,
  readConfig,
  readIceServers,
  readLimits,
  readTurn,
  SETTING_NAMES,
} from "./config.js";
import { DEFAULT_LIMITS } from "./limits.js";

describe("readLimits", () => {
  it("uses the defaults when no setting is given", () => {
    expect(readLimits({})).toEqual(DEFAULT_LIMITS);
  });

  it("treats null as unset, as workerd binds an environment variable that is not set", () => {
    expect(readLimits({ MAX_PEERS_PER_ROOM: null })).toEqual(DEFAULT_LIMITS);
  });

  it("reads string vars as wrangler passes them, seconds scaled to ms", () => {
    expect(readLimits({ MAX_PEERS_PER_ROOM: "10", RATE_LIMIT_ABUSE_SECONDS: "3" })).toMatchObject({
      maxPeersPerRoom: 10,
      abuseAfterMs: 3_000,
    });
  });

  it.each([
    ["MAX_MESSAGE_BYTES", "64k"],
    ["MAX_MESSAGE_BYTES", "0"],
    ["MAX_MESSAGE_BYTES", String(64 * 1024 * 1024)],
    ["MAX_PEERS_PER_ROOM", "40000"],
    ["RATE_LIMIT_PER_SECOND", "-1"],
    ["RATE_LIMIT_BURST", "1.5"],
  ])("rejects %s = %s, naming the var and the value", (name, value) => {
    expect(() => readLimits({ [name]: value })).toThrow(new RegExp(`${name} must be .* got "${value}"`));
  });
});

describe("readIceServers", () => {
  it("defaults to a public STUN server", () => {
    expect(readIceServers({})).toEqual(DEFAULT_ICE_SERVERS);
  });

  it("reads a JSON array from ICE_SERVERS, [] meaning none", () => {
    const turn = [{ urls: ["turn:turn.example.com:3478"], username: "u", credential: "c" }];
    expect(readIceServers({ ICE_SERVERS: JSON.stringify(turn) })).toEqual(turn);
    expect(readIceServers({ ICE_SERVERS: "[]" })).toEqual([]);
  });

  it.each(["{", '{"urls":"stun:x"}', '[{"url":"stun:x"}]'])("rejects ICE_SERVERS = %s, naming the var", (value) => {
    expect(() => readIceServers({ ICE_SERVERS: value })).toThrow(/ICE_SERVERS must be a JSON array/);
  });
});

describe("readAllowedOrigins", () => {
  it("reads comma-separated origins, spaces allowed", () => {
    expect(readAllowedOrigins({ ALLOWED_ORIGINS: "https://a.example, http://localhost:8787" })).toEqual(
      new Set(["https://a.example", "http://localhost:8787"]),
    );
    expect(readAllowedOrigins({})).toBeUndefined();
  });

  it.each(["a.example", "https://a.example/", "https://a.example/path", "*"])("rejects %s, naming the setting", (v) => {
    expect(() => readAllowedOrigins({ ALLOWED_ORIGINS: v })).toThrow(/ALLOWED_ORIGINS must be/);
  });
});

describe("readConfig", () => {
  it("reads limits and ICE servers together, one error type for any bad setting", () => {
    expect(readConfig({})).toEqual({
      limits: DEFAULT_LIMITS,
      iceServers: DEFAULT_ICE_SERVERS,
      allowedOrigins: undefined,
      auth: undefined,
      turn: undefined,
      connectionsPerIpPerMinute: 0,
      iceServersPerIpPerMinute: 60,
      adminToken: undefined,
      clientAddressHeader: undefined,
      runtime: "cloudflare",
      endpoints: new Set(["seed", "y-webrtc", "peerjs", "webtorrent", "lobby"]),
      peerjsAllowDiscovery: false,
      serveDemo: true,
      persistRegistrations: false,
      metrics: false,
      metricsIntervalMs: 5000,
    });
    expect(readConfig({ DEMO: "false" }).serveDemo).toBe(false);
    // Rows cost nothing self-hosted; on Cloudflare two rows a session would be a call's largest cost; and a dev
    // server stopped and started again should not find every id held.
    expect(readConfig({}).persistRegistrations).toBe(false);
    expect(readConfig({ SIGNAL_RUNTIME: "workerd" }).persistRegistrations).toBe(true);
    expect(readConfig({ SIGNAL_RUNTIME: "wrangler-dev" }).persistRegistrations).toBe(false);
    expect(readConfig({ PERSIST_REGISTRATIONS: "true" }).persistRegistrations).toBe(true);
    expect(readConfig({ SIGNAL_RUNTIME: "workerd", PERSIST_REGISTRATIONS: "false" }).persistRegistrations).toBe(false);
    expect(() => readConfig({ DEMO: "no" })).toThrow(/DEMO must be true or false/);
    expect(readConfig({ ENDPOINTS: "seed" }).endpoints).toEqual(new Set(["seed"]));
    expect(() => readConfig({ ENDPOINTS: "seed,irc" })).toThrow(
      /ENDPOINTS must list some of seed, y-webrtc, peerjs, webtorrent/,
    );
    expect(() => readConfig({ ICE_SERVERS: "{" })).toThrow(ConfigError);
    expect(() => readConfig({ RATE_LIMIT_BURST: "x" })).toThrow(ConfigError);
  });

  it("believes only the client address header it is told of, and knows where it runs", () => {
    expect(readConfig({ CLIENT_ADDRESS_HEADER: "X-Real-IP" }).clientAddressHeader).toBe("x-real-ip");
    expect(() => readConfig({ CLIENT_ADDRESS_HEADER: "X Real IP" })).toThrow(
      /CLIENT_ADDRESS_HEADER must be an HTTP header name/,
    );
    expect(readConfig({ SIGNAL_RUNTIME: "workerd" }).runtime).toBe("workerd");
    expect(() => readConfig({ SIGNAL_RUNTIME: "lambda" })).toThrow(/SIGNAL_RUNTIME must be one of/);
  });

  // Regression: ADMIN_TOKEN=a was accepted.
  it("refuses an admin token short enough to guess", () => {
    expect(() => readConfig({ ADMIN_TOKEN: "a" })).toThrow(/ADMIN_TOKEN must be at least 32 characters/);
    expect(readConfig({ ADMIN_TOKEN: "a".repeat(32) }).adminToken).toBe("a".repeat(32));
  });

  // Regression: in open mode with TURN set, any page (CORS *) got 24-hour TURN credentials.
  it("refuses TURN without join tokens unless TURN_ALLOW_OPEN says it is meant", () => {
    const turn = { TURN_SECRET: "s", TURN_URLS: "turn:t.example:3478" };
    expect(() => readConfig(turn)).toThrow(/TURN credentials \(and your TURN quota\) to anyone/);
    expect(readConfig({ ...turn, TURN_ALLOW_OPEN: "true" }).turn).toMatchObject({ kind: "shared-secret" });
    expect(readConfig({ ...turn, AUTH_SECRET: "x".repeat(32) }).turn).toMatchObject({ kind: "shared-secret" });
  });

  it("names every setting it reads, so the self-hosted server can bind each from the environment", () => {
    expect(SETTING_NAMES).toEqual([
      "MAX_MESSAGE_BYTES",
      "MAX_PEERS_PER_ROOM",
      "RATE_LIMIT_PER_SECOND",
      "RATE_LIMIT_BURST",
      "RATE_LIMIT_ABUSE_SECONDS",
      "RATE_LIMIT_BYTES_PER_SECOND",
      "RATE_LIMIT_BURST_BYTES",
      "REGISTER_TIMEOUT_SECONDS",
      "RESUME_GRACE_SECONDS",
      "MAILBOX_MAX_MESSAGES",
      "MAILBOX_MAX_BYTES",
      "ROOM_MAILBOX_MAX_BYTES",
      "IDLE_TIMEOUT_SECONDS",
      "MAX_JSON_DEPTH",
      "OUTBOUND_BYTES_PER_SECOND",
      "OUTBOUND_BURST_BYTES",
      "MAX_CONNECTIONS_PER_IP",
      "PRESENCE_FANOUT_PER_SECOND",
      "PRESENCE_FANOUT_BURST",
      "MAX_META_BYTES",
      "MAX_META_DEPTH",
      "ICE_SERVERS",
      "ALLOWED_ORIGINS",
      "AUTH_SECRET",
      "AUTH_JWKS",
      "AUTH_ISSUER",
      "AUTH_AUDIENCE",
      "TURN_SECRET",
      "TURN_URLS",
      "TURN_TTL",
      "TURN_KEY_ID",
      "TURN_KEY_API_TOKEN",
      "TURN_ALLOW_OPEN",
      "NEW_CONNECTIONS_PER_IP_PER_MINUTE",
      "ICE_SERVERS_PER_IP_PER_MINUTE",
      "CLIENT_ADDRESS_HEADER",
      "ADMIN_TOKEN",
      "ENDPOINTS",
      "PEERJS_ALLOW_DISCOVERY",
      "DEMO",
      "PERSIST_REGISTRATIONS",
      "LOCATION_HINT",
      "JURISDICTION",
      "METRICS",
      "METRICS_INTERVAL_SECONDS",
      "WEBHOOK_URL",
      "WEBHOOK_SECRET",
      "WEBHOOK_EVENTS",
      "WEBHOOK_MAX_ATTEMPTS",
    ]);
  });

  it("turns metrics on by itself only with ADMIN_TOKEN and where reports cost nothing", () => {
    const token = { ADMIN_TOKEN: "a".repeat(32) };
    expect(readConfig(token).metrics).toBe(false);
    expect(readConfig({ ...token, SIGNAL_RUNTIME: "workerd" }).metrics).toBe(true);
    expect(readConfig({ ...token, SIGNAL_RUNTIME: "wrangler-dev" }).metrics).toBe(true);
    expect(readConfig({ SIGNAL_RUNTIME: "workerd" }).metrics).toBe(false);
    expect(readConfig({ ...token, METRICS: "on" }).metrics).toBe(true);
    expect(readConfig({ ...token, SIGNAL_RUNTIME: "workerd", METRICS: "off" }).metrics).toBe(false);
    expect(() => readConfig({ METRICS: "on" })).toThrow(/METRICS = on needs ADMIN_TOKEN/);
    expect(() => readConfig({ METRICS: "yes" })).toThrow(/METRICS must be one of auto, on, off/);
    // Longer than the time an idle object takes to hibernate would lose the counts of a burst before it.
    expect(() => readConfig({ METRICS_INTERVAL_SECONDS: "30" })).toThrow(
      /METRICS_INTERVAL_SECONDS must be a whole number from 1 to 9/,
    );
  });

  it("reads webhooks: an http(s) URL, a whsec_ secret, the events wanted", () => {
    const secret = `whsec_${btoa("k".repeat(32))}`;
    const hooks = readConfig({ WEBHOOK_URL: "https://hooks.example/in", WEBHOOK_SECRET: secret })?.webhooks;
    expect(hooks).toMatchObject({ url: "https://hooks.example/in", maxAttempts: 10 });
    expect([...(hooks?.events ?? [])]).toEqual(["peer.joined", "peer.left"]);
    expect(hooks?.key).toHaveLength(32);
    const left = readConfig({ WEBHOOK_URL: "http://h/", WEBHOOK_SECRET: secret, WEBHOOK_EVENTS: "peer.left" });
    expect([...(left.webhooks?.events ?? [])]).toEqual(["peer.left"]);
    expect(readConfig({}).webhooks).toBeUndefined();
    expect(() => readConfig({ WEBHOOK_URL: "https://h/" })).toThrow(/WEBHOOK_URL needs WEBHOOK_SECRET/);
    expect(() => readConfig({ WEBHOOK_SECRET: secret })).toThrow(/WEBHOOK_SECRET is set without WEBHOOK_URL/);
    expect(() => readConfig({ WEBHOOK_URL: "ftp://h/", WEBHOOK_SECRET: secret })).toThrow(/must be an http\(s\) URL/);
    expect(() => readConfig({ WEBHOOK_URL: "https://h/", WEBHOOK_SECRET: "hunter2" })).toThrow(
      /whsec_ followed by base64/,
    );
    expect(() =>
      readConfig({ WEBHOOK_URL: "https://h/", WEBHOOK_SECRET: secret, WEBHOOK_EVENTS: "peer.joined,room.closed" }),
    ).toThrow(/WEBHOOK_EVENTS must list some of peer.joined, peer.left, got "room.closed"/);
  });
});

const SECRET = "s".repeat(32);

describe("readAuth", () => {
  it("is off unless a secret or keys are given", () => {
    expect(readAuth({})).toBeUndefined();
    expect(readAuth({ AUTH_SECRET: SECRET, AUTH_ISSUER: "https://idp" })).toEqual({
      secret: SECRET,
      issuer: "https://idp",
    });
    const jwks = { keys: [{ kty: "OKP", crv: "Ed25519", x: "abc" }] };
    expect(readAuth({ AUTH_JWKS: JSON.stringify(jwks) })).toMatchObject({ jwks });
  });

  it.each([
    [{ AUTH_SECRET: "short" }, /at least 32 characters/],
    [{ AUTH_ISSUER: "https://idp" }, /need AUTH_SECRET or AUTH_JWKS/],
    [{ AUTH_JWKS: "{" }, /AUTH_JWKS must be a JWKS/],
    [{ AUTH_JWKS: '{"keys":[]}' }, /AUTH_JWKS must be a JWKS/],
    [{ AUTH_JWKS: '{"keys":[{"kty":"EC","d":"secret"}]}' }, /private key/],
  ])("refuses %j", (vars, message) => {
    expect(() => readAuth(vars)).toThrow(message);
  });
});

describe("readTurn", () => {
  it("reads a coturn shared secret or a Cloudflare TURN key, with a TTL", () => {
    expect(readTurn({})).toBeUndefined();
    expect(readTurn({ TURN_SECRET: "x", TURN_URLS: "turn:t.example:3478, turns:t.example:5349" })).toEqual({
      kind: "shared-secret",
      secret: "x",
      urls: ["turn:t.example:3478", "turns:t.example:5349"],
      ttl: 86_400,
    });
    expect(readTurn({ TURN_KEY_ID: "abc123", TURN_KEY_API_TOKEN: "tok", TURN_TTL: "600" })).toEqual({
      kind: "cloudflare",
      keyId: "abc123",
      apiToken: "tok",
      ttl: 600,
    });
  });

  it.each([
    [{ TURN_SECRET: "x" }, /go together/],
    [{ TURN_SECRET: "x", TURN_URLS: "stun:s.example" }, /turn: or turns:/],
    [{ TURN_KEY_ID: "abc" }, /go together/],
    [{ TURN_KEY_ID: "a/b", TURN_KEY_API_TOKEN: "t" }, /TURN key's id/],
    [{ TURN_SECRET: "x", TURN_URLS: "turn:a", TURN_KEY_ID: "k", TURN_KEY_API_TOKEN: "t" }, /not both/],
    [{ TURN_SECRET: "x", TURN_URLS: "turn:a", TURN_TTL: "5" }, /TURN_TTL must be/],
  ])("refuses %j", (vars, message) => {
    expect(() => readTurn(vars)).toThrow(message);
  });
});
