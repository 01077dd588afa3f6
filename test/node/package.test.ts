/**
 * The client package as another project gets it: `npm pack`, installed from the tarball into a fresh project,
 * type-checked in strict TypeScript with the `ws` package's constructor passed as is, bundled for the browser
 * (which must hold no server code), and run: two Node clients register and relay both ways through `npm start`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

const APP = `
import WebSocket from "ws";
import { SignalingClient, type SignalingError } from "cf-webrtc-signal/client";
import { isValidPeerId } from "cf-webrtc-signal/protocol";

const url = process.argv[2] as string;
const room = "package-" + Date.now().toString(36);
const alice = new SignalingClient({ url, room, peerId: "alice", WebSocket });
const bob = new SignalingClient({ url, room, peerId: "bob", WebSocket });
const heard: string[] = [];
alice.on("relay", ({ from, data }) => heard.push(from + ":" + String(data)));
bob.on("relay", ({ from, data }) => {
  heard.push(from + ":" + String(data));
  bob.relay("alice", "pong");
});
alice.on("error", (e: SignalingError) => console.error(e.code));
await alice.connect();
await bob.connect();
alice.relay("bob", "ping");
const started = Date.now();
while (heard.length < 2 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
console.log(JSON.stringify({ heard: heard.sort(), valid: isValidPeerId("alice") }));
alice.close();
bob.close();
`;

const BROWSER = `
import { PeerSession, SignalingClient } from "cf-webrtc-signal/client";
const client = new SignalingClient({ url: location.origin, peerId: "page" });
export const session = new PeerSession({ signaling: client, remotePeerId: "other" });
`;

describe("the client package", () => {
  let server: DevServer;
  let project: string;
  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), "client-package-"));
    const [started] = await Promise.all([
      startNpmServer("npm start"),
      (async () => {
        const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", project], { cwd: root });
        const tarball = stdout.trim().split("\n").at(-1) as string;
        writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
        // Installed from the tarball; ws and its types from this checkout, so that no network is needed.
        await run(
          "npm",
          [
            "install",
            "--no-audit",
            "--no-fund",
            `./${tarball}`,
            `${root}node_modules/ws`,
            `${root}node_modules/@types/ws`,
          ],
          { cwd: project },
        );
      })(),
    ]);
    server = started;
  }, 180_000);
  afterAll(() => server?.stop());

  it("installs from the tarball: built JavaScript and types only, no runtime dependency", () => {
    const manifest = JSON.parse(readFileSync(join(project, "node_modules/cf-webrtc-signal/package.json"), "utf8"));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.exports["./client"]).toEqual({ types: "./lib/client/index.d.ts", import: "./lib/client/index.js" });
  });

  it("type-checks strict TypeScript that passes ws's constructor without a cast", async () => {
    writeFileSync(join(project, "app.ts"), APP);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          noEmit: true,
        },
        files: ["app.ts"],
      }),
    );
    await expect(run(`${root}node_modules/.bin/tsc`, ["-p", project])).resolves.toBeDefined();
  }, 60_000);

  it("bundles for the browser with nothing of the server in it", async () => {
    writeFileSync(join(project, "browser.ts"), BROWSER);
    const bundle = await build({
      entryPoints: [join(project, "browser.ts")],
      absWorkingDir: project,
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
    });
    const text = bundle.outputFiles[0]?.text ?? "";
    expect(text).toContain("PeerSession needs WebRTC");
    for (const server of ["DurableObject", "acceptWebSocket", "jose", "deleteAll", "setWebSocketAutoResponse"]) {
      expect(text, server).not.toContain(server);
    }
  });

  it("runs two Node clients through npm start: register, relay both ways", async () => {
    const app = await build({
      entryPoints: [join(project, "app.ts")],
      absWorkingDir: project,
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      outfile: join(project, "app.mjs"),
      logLevel: "silent",
    });
    expect(app.errors).toEqual([]);
    const { stdout } = await run("node", [join(project, "app.mjs"), server.wsUrl], { cwd: project, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ heard: ["alice:ping", "bob:pong"], valid: true });
  }, 60_000);
});
