import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_ICE_SERVERS,
  readAllowedOrigins,
  readConfig,
  readIceServers,
  readLimits,
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
    });
    expect(() => readConfig({ ICE_SERVERS: "{" })).toThrow(ConfigError);
    expect(() => readConfig({ RATE_LIMIT_BURST: "x" })).toThrow(ConfigError);
  });

  it("names every setting it reads, so the self-hosted server can bind each from the environment", () => {
    expect(SETTING_NAMES).toEqual([
      "MAX_MESSAGE_BYTES",
      "MAX_PEERS_PER_ROOM",
      "RATE_LIMIT_PER_SECOND",
      "RATE_LIMIT_BURST",
      "RATE_LIMIT_ABUSE_SECONDS",
      "REGISTER_TIMEOUT_SECONDS",
      "RESUME_GRACE_SECONDS",
      "MAILBOX_MAX_MESSAGES",
      "MAILBOX_MAX_BYTES",
      "ROOM_MAILBOX_MAX_BYTES",
      "IDLE_TIMEOUT_SECONDS",
      "MAX_JSON_DEPTH",
      "OUTBOUND_BYTES_PER_SECOND",
      "OUTBOUND_BURST_BYTES",
      "ICE_SERVERS",
      "ALLOWED_ORIGINS",
    ]);
  });
});
