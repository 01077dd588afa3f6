/** The README's figure for what joinRoom costs a page stays what `npm run size` measures. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script, without types
import { joinRoomBundle } from "../../scripts/bundle-size.mjs";

describe("the joinRoom bundle", () => {
  it("is as small as the README says (within 1 KiB gzipped), and stays under 16 KiB gzipped", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const quoted = /`joinRoom` bundled for a browser is ([\d.]+) KiB minified, ([\d.]+) KiB gzipped/.exec(readme);
    if (!quoted) throw new Error("README.md no longer quotes the joinRoom bundle's size");
    const { minified, gzipped } = (await joinRoomBundle()) as { minified: number; gzipped: number };
    expect(Math.abs(gzipped / 1024 - Number(quoted[2]))).toBeLessThan(1);
    expect(Math.abs(minified / 1024 - Number(quoted[1]))).toBeLessThan(3);
    expect(gzipped).toBeLessThan(16 * 1024);
  });
});
