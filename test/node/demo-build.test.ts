/** What `wrangler deploy` ships as static assets: public/, as scripts/build-demo.mjs makes it. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const publicDir = new URL("../../public/", import.meta.url);

describe("the demo's build", () => {
  // Regression: the demo's source map was deployed with it, publishing its sources.
  it("ships no source map, and the SDK and the example page beside the demo", () => {
    execFileSync("node", ["scripts/build-demo.mjs"], { cwd: new URL("../..", import.meta.url) });
    const files = readdirSync(publicDir, { recursive: true }).map(String);
    expect(files.filter((file) => file.endsWith(".map"))).toEqual([]);
    expect(readFileSync(new URL("app.js", publicDir), "utf8")).not.toContain("sourceMappingURL");
    expect(files).toEqual(expect.arrayContaining(["app.js", "client.js", "index.html", "examples/browser.html"]));
  });
});
