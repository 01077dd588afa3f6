/**
 * The server as a user runs it, on a free loopback port, in its own process group so that the whole tree can be
 * ended together: `npm start` (wrangler dev: local workerd, local SQLite, the demo built into public/) or
 * `npm run serve` (the self-hosted server: the deploy bundle on workerd, storage under DATA_DIR).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type NpmServerKind = "npm start" | "npm run serve";

export interface NpmServerOptions {
  /** Settings, as environment variables (serve) or through an --env-file (start). */
  env?: Record<string, string>;
  /** Where `npm run serve` keeps its rooms; a fresh temporary directory unless given. */
  dataDir?: string;
  port?: number;
}

export interface DevServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** ws://127.0.0.1:<port> */
  readonly wsUrl: string;
  readonly port: number;
  /** Everything the server printed so far. */
  output(): string;
  /** Resolves once the server's output satisfies `check`, re-checking on every chunk. */
  waitForOutput(check: (output: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Ends the server's whole process group; resolves once it has exited. */
  stop(): Promise<void>;
}

export async function startNpmServer(kind: NpmServerKind, options: NpmServerOptions = {}): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const settings = options.env ?? {};
  let args: string[];
  let env: Record<string, string> = { WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" };
  if (kind === "npm start") {
    args = ["start", "--", "--port", String(port), "--ip", "127.0.0.1"];
    if (Object.keys(settings).length > 0) args.push("--env-file", envFile(settings));
  } else {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "serve-data-"));
    args = ["run", "serve"];
    env = { ...env, ...settings, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir };
  }
  const child: ChildProcess = spawn("npm", args, {
    cwd: new URL("..", import.meta.url),
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const recheck of [...waiters]) recheck();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  const waitForOutput = (check: (output: string) => boolean, what: string, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const recheck = () => {
        if (!check(output)) return;
        clearTimeout(timer);
        waiters.delete(recheck);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(recheck);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the server printed:\n${output}`));
      }, timeoutMs);
      waiters.add(recheck);
      recheck();
    });

  const exitedPromise = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return; // the group is already gone
      }
    }
    await exitedPromise;
  };
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) => reject(new Error(`${kind} exited with ${code}:\n${output}`)));
  });
  exited.catch(() => {}); // only awaited while starting
  try {
    await Promise.race([waitForOutput((o) => /Ready on http/.test(o), `${kind} to be ready`, 90_000), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  return { url, wsUrl: url.replace(/^http/, "ws"), port, output: () => output, waitForOutput, stop };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** wrangler dev reads settings from a dotenv file (`--var` does not override [vars]). */
function envFile(settings: Record<string, string>): string {
  const path = join(mkdtempSync(join(tmpdir(), "dev-vars-")), ".env");
  writeFileSync(
    path,
    Object.entries(settings)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
      .join(""),
  );
  return path;
}
