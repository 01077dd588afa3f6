/** docs/security.md names a test for every threat: each must exist, so the table cannot outlive its tests. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const doc = readFileSync("docs/security.md", "utf8");
const rows = doc
  .split("\n")
  .filter((line) => line.startsWith("| ") && !line.startsWith("| Threat") && !line.startsWith("| ---"));

describe("docs/security.md", () => {
  it("has a row for every threat on the list, each naming at least one test", () => {
    expect(rows.length).toBeGreaterThanOrEqual(19);
    for (const row of rows) expect(row, row.slice(0, 60)).toMatch(/`[^`]+\.ts`: "/);
  });

  it.each(rows.flatMap((row) => [...row.matchAll(/`([^`]+\.ts)`: "([^"]+)"/g)].map((m) => [m[1], m[2]])))(
    "names a test that exists: %s, %s",
    (file, title) => {
      const source = readFileSync(file as string, "utf8");
      const quoted = [`"${title}"`, `'${title}'`, `\`${title}\``];
      expect(
        quoted.some((q) => source.includes(q)),
        `${file} has no test titled ${title}`,
      ).toBe(true);
    },
  );
});
