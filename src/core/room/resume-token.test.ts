import { describe, expect, it } from "vitest";
import { newResumeToken, RESUME_TOKEN_LENGTH, tokensEqual } from "./resume-token.js";

describe("resume tokens", () => {
  it("are 22 base64url characters, carrying 128 random bits", () => {
    const tokens = Array.from({ length: 1_000 }, newResumeToken);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(RESUME_TOKEN_LENGTH).toBe(22);
    expect(new Set(tokens).size).toBe(tokens.length);
    // Every position but the last (2 bits) takes many values: no fixed character leaks in.
    for (let i = 0; i < 21; i++) expect(new Set(tokens.map((t) => t[i])).size).toBeGreaterThan(40);
  });

  it("compare equal only when identical", () => {
    const token = newResumeToken();
    expect(tokensEqual(token, token)).toBe(true);
    expect(tokensEqual(`${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`, token)).toBe(false);
    expect(tokensEqual(token.slice(1), token)).toBe(false);
    expect(tokensEqual("", token)).toBe(false);
  });
});
