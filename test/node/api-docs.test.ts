/** docs/api is generated from the client's doc comments (`npm run docs:api`): it must match the code. */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

function files(dir: string, root = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) Object.assign(out, files(path, root));
    else out[relative(root, path)] = readFileSync(path, "utf8");
  }
  return out;
}

describe("docs/api", () => {
  it("is what npm run docs:api generates from the code now (run it after changing the client)", async () => {
    const fresh = mkdtempSync(join(tmpdir(), "api-docs-"));
    await run("node_modules/.bin/typedoc", ["--out", fresh, "--logLevel", "Error"]);
    expect(files("docs/api")).toEqual(files(fresh));
  }, 60_000);
});
