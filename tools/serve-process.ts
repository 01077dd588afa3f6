/**
 * The self-hosted server run as a process of its own (`node deploy/workerd/serve.ts`, not through npm), so that a
 * signal reaches the server itself: SIGTERM for its own graceful stop (1012 to every client), SIGKILL for a kill it
 * cannot answer. For the shutdown tests, the soak, the chaos harness and the reconnect storm.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ServeOptions {
  port: number;
  dataDir: string;
  /** Settings, as environment variables. */
  env?: Record<string, string>;
  /** How long it may take to say it is ready. */
  timeoutMs?: number;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Sends `signal` and resolves once the process has exited, with its exit code (null when killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = new URL("..", import.meta.url);
/** Every server started here that may still run, so that a test's cleanup can end them all. */
export const serving = new Set<ChildProcess>();

export async function startServe(options: ServeOptions): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "deploy/workerd/serve.ts"], {
    cwd: root,
    env: {
      ...process.env,
      ...options.env,
      PORT: String(options.port),
      HOST: "127.0.0.1",
      DATA_DIR: options.dataDir,
      WRANGLER_SEND_METRICS: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  serving.add(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => serving.delete(child));
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 90_000;
    const timer = setTimeout(
      () => reject(new Error(`serve did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${options.port}`,
    output: () => output,
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
