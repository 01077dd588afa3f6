import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** Limits for the tests that need a different room than users get (a small room, a high rate). */
const TUNED_LIMITS = {
  MAX_PEERS_PER_ROOM: "3",
  RATE_LIMIT_PER_SECOND: "100000",
  RATE_LIMIT_BURST: "100000",
};

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: "unit", environment: "node", include: ["src/**/*.test.ts"] },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: { name: "workerd", include: ["test/workerd/**/*.test.ts"] },
      },
      {
        plugins: [
          cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: TUNED_LIMITS } }),
        ],
        test: { name: "workerd-tuned", include: ["test/workerd-tuned/**/*.test.ts"] },
      },
      {
        test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"], testTimeout: 60_000 },
      },
    ],
  },
});
