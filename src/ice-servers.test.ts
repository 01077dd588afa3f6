import { describe, expect, it } from "vitest";
import { DEFAULT_ICE_SERVERS, readIceServers } from "./ice-servers.js";

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
