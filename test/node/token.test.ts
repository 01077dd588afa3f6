/** `npm run token`: a development token the server accepts, or a message that says what to do. */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const SECRET = "0123456789abcdef0123456789abcdef";

function devVars(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "token-")), ".dev.vars");
  writeFileSync(file, text);
  return file;
}

const token = (...args: string[]) =>
  run("node", ["--import", "tsx", "scripts/token.ts", ...args], { env: { ...process.env, AUTH_SECRET: "" } });

describe("npm run token", () => {
  it("mints a token from .dev.vars with the sub, rooms, ttl and audience asked for", async () => {
    const vars = devVars(`AUTH_SECRET="${SECRET}"\nAUTH_AUDIENCE=signal\n`);
    const { stdout, stderr } = await token("--vars", vars, "--sub", "alice", "--room", "demo,lobby", "--ttl", "120");
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(SECRET), { audience: "signal" });
    expect(payload).toMatchObject({ sub: "alice", room: ["demo", "lobby"] });
    expect((payload.exp ?? 0) - Date.now() / 1000).toBeGreaterThan(110);
    expect(stderr).toContain("#room=demo&join=1&token=");
  });

  it("names the endpoints the token opens when asked, and refuses one that does not exist", async () => {
    const vars = devVars(`AUTH_SECRET="${SECRET}"\n`);
    const { stdout } = await token("--vars", vars, "--room", "app", "--endpoint", "y-webrtc,webtorrent");
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(SECRET));
    expect(payload).toMatchObject({ room: "app", endpoint: ["y-webrtc", "webtorrent"] });
    await expect(token("--vars", vars, "--endpoint", "irc")).rejects.toMatchObject({
      stderr: expect.stringContaining("--endpoint must name some of seed, y-webrtc, peerjs, webtorrent"),
    });
  });

  it("says how to make a secret when there is none", async () => {
    await expect(token("--vars", devVars("# nothing\n"))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("openssl rand -base64 32"),
    });
  });
});
