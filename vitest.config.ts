import { readFileSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

/**
 * Tests in workerd run against the Worker as wrangler.toml describes it. A folder of tests that needs other limits
 * than users get gets its own project, with the limits set the way a deployment would set them: as [vars].
 */
function workerd(folder: string, vars: Record<string, string> = {}): TestProjectInlineConfiguration {
  return {
    plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: vars } })],
    test: { name: folder, include: [`test/${folder}/**/*.test.ts`], setupFiles: ["test/workerd/setup.ts"] },
  };
}

/**
 * The server under test logs one JSON line per event. Routine ones (drops, wakes, refusals at debug and info) and
 * the warnings that tests provoke on purpose (abuse, not reading, connection caps, wrong admin tokens, the ICE-server rate, dropped webhooks) would flood the output; failures
 * and anything unexpected still show.
 */
const PROVOKED =
  /"event":"(rate_abuse_closed|outbound_budget_exceeded|connection_rate_exceeded|connection_refused|admin_refused|ice_servers_rate_exceeded|webhook_dropped)"/;
function quietServerLogs(log: string): false | undefined {
  if (/^\{"level":"(debug|info)"/.test(log) || PROVOKED.test(log)) return false;
  return undefined;
}

export default defineConfig({
  test: {
    onConsoleLog: quietServerLogs,
    // One file at a time: the Node and browser tests each start a server and a browser on a 2-core machine.
    fileParallelism: false,
    projects: [
      { test: { name: "unit", environment: "node", include: ["src/**/*.test.ts"] } },
      workerd("workerd"),
      // A small room, and a rate high enough to relay 1,000 messages at once.
      workerd("workerd-tuned", {
        MAX_PEERS_PER_ROOM: "3",
        REGISTER_TIMEOUT_SECONDS: "1",
        RATE_LIMIT_PER_SECOND: "100000",
        RATE_LIMIT_BURST: "100000",
      }),
      // A one-second grace period and a small room, so that churn can be checked to the last row quickly.
      workerd("workerd-reliability", { RESUME_GRACE_SECONDS: "1", MAX_PEERS_PER_ROOM: "50" }),
      // Everything of a server on the open internet switched on (see test/workerd-auth for what each setting does).
      workerd("workerd-auth", {
        AUTH_SECRET: "a-test-secret-of-at-least-32-characters",
        AUTH_JWKS: JSON.stringify(JSON.parse(readFileSync("test/fixtures/test-signing-key.json", "utf8")).public),
        AUTH_AUDIENCE: "signal-test",
        TURN_SECRET: "a-turn-secret",
        TURN_URLS: "turn:turn.example.com:3478,turns:turn.example.com:5349",
        TURN_TTL: "3600",
        ADMIN_TOKEN: "an-admin-token-of-at-least-32-characters",
        MAX_CONNECTIONS_PER_IP: "3",
        NEW_CONNECTIONS_PER_IP_PER_MINUTE: "20",
      }),
      // An operator's server: metrics reported every second, the admin routes, one allowed origin.
      workerd("workerd-ops", {
        ADMIN_TOKEN: "an-admin-token-of-at-least-32-characters",
        METRICS: "on",
        METRICS_INTERVAL_SECONDS: "1",
        ALLOWED_ORIGINS: "https://app.example.com",
      }),
      // A server that only lets pages of one origin in.
      // ... and that serves the seed protocol only, without the demo page.
      workerd("workerd-origins", { ALLOWED_ORIGINS: "https://app.example.com", ENDPOINTS: "seed", DEMO: "false" }),
      // A low rate and a short abuse window, so closing an abusive socket takes one second, not ten.
      // (and PeerJS's peer list open, as PEERJS_ALLOW_DISCOVERY allows).
      workerd("workerd-strict", {
        RATE_LIMIT_PER_SECOND: "20",
        RATE_LIMIT_BURST: "20",
        RATE_LIMIT_ABUSE_SECONDS: "1",
        PEERJS_ALLOW_DISCOVERY: "true",
      }),
      { test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"], testTimeout: 90_000 } },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
