/**
 * `npm start` as a user runs it (wrangler dev: local workerd, local SQLite, the demo built into public/), on a
 * free port, in its own process group so that the whole tree can be ended together.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

export interface DevServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Everything the server printed so far. */
  output(): string;
  /** Resolves once the server's output satisfies `check`, re-checking on every chunk. */
  waitForOutput(check: (output: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): void;
}

export async function startDevServer(): Promise<DevServer> {
  const port = await freePort();
  const child: ChildProcess = spawn("npm", ["start", "--", "--port", String(port), "--ip", "127.0.0.1"], {
    cwd: new URL("../..", import.meta.url),
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
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

  const stop = () => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
  };
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  exited.catch(() => {}); // only awaited while starting
  try {
    await Promise.race([waitForOutput((o) => /Ready on http/.test(o), "npm start to be ready", 90_000), exited]);
  } catch (error) {
    stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, output: () => output, waitForOutput, stop };
}

function freePort(): Promise<number> {
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
