import { describe, expect, it } from "vitest";
import { type Config, readConfig } from "../core/config/config.js";
import { placedStub } from "./placement.js";

/** A namespace that records how it was asked: which jurisdiction, which name, which location hint. */
function fakeNamespace() {
  const calls: Array<{ jurisdiction?: string; name: string; hint?: string }> = [];
  const make = (jurisdiction?: string) => ({
    idFromName: (name: string) => ({ name, jurisdiction }),
    get: (id: { name: string; jurisdiction?: string }, options?: { locationHint?: string }) => {
      calls.push({
        name: id.name,
        ...(id.jurisdiction ? { jurisdiction: id.jurisdiction } : {}),
        ...(options?.locationHint ? { hint: options.locationHint } : {}),
      });
      return { id };
    },
    jurisdiction: (name: string) => make(name),
  });
  return { namespace: make() as unknown as DurableObjectNamespace, calls };
}

const config = (vars: Record<string, string>): Config => readConfig(vars);

describe("placement", () => {
  it("gets a plain object when nothing is set", () => {
    const { namespace, calls } = fakeNamespace();
    placedStub(namespace, "lobby", config({}));
    expect(calls).toEqual([{ name: "lobby" }]);
  });

  it("keeps every object inside JURISDICTION, with LOCATION_HINT for new ones", () => {
    const { namespace, calls } = fakeNamespace();
    placedStub(namespace, "lobby", config({ JURISDICTION: "eu", LOCATION_HINT: "weur" }));
    expect(calls).toEqual([{ name: "lobby", jurisdiction: "eu", hint: "weur" }]);
  });

  it("takes a first join's own hint over LOCATION_HINT", () => {
    const { namespace, calls } = fakeNamespace();
    placedStub(namespace, "lobby", config({ LOCATION_HINT: "weur" }), "apac");
    expect(calls).toEqual([{ name: "lobby", hint: "apac" }]);
  });

  it("ignores both on the self-hosted server and under npm start, where one process holds every room", () => {
    for (const runtime of ["workerd", "wrangler-dev"]) {
      const { namespace, calls } = fakeNamespace();
      placedStub(namespace, "lobby", config({ JURISDICTION: "eu", LOCATION_HINT: "weur", SIGNAL_RUNTIME: runtime }));
      expect(calls).toEqual([{ name: "lobby" }]);
    }
  });

  it("refuses a location hint or jurisdiction Cloudflare does not have, naming the choices", () => {
    expect(() => config({ LOCATION_HINT: "mars" })).toThrow(/LOCATION_HINT must be one of wnam, enam/);
    expect(() => config({ JURISDICTION: "us" })).toThrow(/JURISDICTION must be one of eu, fedramp/);
  });
});
