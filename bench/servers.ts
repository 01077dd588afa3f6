/**
 * The servers every benchmark run compares, each started on loopback in its own process group, pinned to the
 * server core (the load generator takes the other).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

import type { Protocol } from "./protocols/index.js";

export interface ServerSpec {
  id: string;
  label: string;
  protocol: Protocol;
  /** Whether it honours wrangler [vars] limits (only this project has limits). */
  hasLimits: boolean;
  /** A Durable Object server: it hibernates a room about 10 s after its last message (S2 waits for that). */
  hibernates: boolean;
  start(port: number, vars: Record<string, string>, cpu: string): Promise<RunningServer>;
}

export interface RunningServer {
  /** WebSocket base URL that a peer connects to (the adapter adds its own query). */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const tsx = ["--import", "tsx"];

export const SERVERS: ServerSpec[] = [
  {
    id: "wrangler-dev",
    label: "this project, npm start (wrangler dev)",
    protocol: "seed",
    hasLimits: true,
    hibernates: true,
    start: (port, vars, cpu) => {
      const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
      const state = mkdtempSync(join(tmpdir(), "bench-wrangler-"));
      const args = [`${root}node_modules/wrangler/bin/wrangler.js`, "dev", "--port", String(port), "--ip", "127.0.0.1"];
      return launch(
        cpu,
        "node",
        [...args, "--persist-to", state, ...varArgs],
        /Ready on http/,
        `ws://127.0.0.1:${port}/rooms/bench`,
      );
    },
  },
  {
    id: "workerd",
    label: "this project, workerd direct (Miniflare)",
    protocol: "seed",
    hasLimits: true,
    hibernates: true,
    start: (port, vars, cpu) => miniflare(cpu, port, "src/cloudflare/worker.ts", "Peers", vars),
  },
  {
    id: "serve",
    label: "this project, npm run serve (self-hosted workerd)",
    protocol: "seed",
    hasLimits: true,
    hibernates: true,
    start: (port, vars, cpu) => selfHosted(cpu, port, vars, "/rooms/bench"),
  },
  {
    id: "serve-y-webrtc",
    label: "this project's y-webrtc endpoint (npm run serve)",
    protocol: "y-webrtc",
    hasLimits: true,
    hibernates: true,
    start: (port, vars, cpu) => selfHosted(cpu, port, vars, "/y-webrtc/bench"),
  },
  {
    id: "serve-peerjs",
    label: "this project's PeerJS endpoint (npm run serve)",
    protocol: "peerjs",
    hasLimits: true,
    hibernates: true,
    start: (port, vars, cpu) => selfHosted(cpu, port, vars, "/peerjs/peerjs"),
  },
  {
    id: "control-do",
    label: "control: minimal DO relay (workerd direct)",
    protocol: "seed",
    hasLimits: false,
    hibernates: true,
    start: (port, _vars, cpu) => miniflare(cpu, port, "bench/control/worker.ts", "ControlPeers", {}),
  },
  {
    id: "peerjs",
    label: "PeerJS server (npm peer)",
    protocol: "peerjs",
    hasLimits: false,
    hibernates: false,
    start: (port, _vars, cpu) =>
      launch(
        cpu,
        "node",
        [
          `${root}node_modules/peer/dist/bin/peerjs.js`,
          "--port",
          String(port),
          "--host",
          "127.0.0.1",
          "--concurrent_limit",
          "100000",
        ],
        /Started PeerServer/,
        `ws://127.0.0.1:${port}/peerjs`,
      ),
  },
  {
    id: "y-webrtc",
    label: "y-webrtc signaling (bin/server.js)",
    protocol: "y-webrtc",
    hasLimits: false,
    hibernates: false,
    start: (port, _vars, cpu) =>
      launch(
        cpu,
        "node",
        [`${root}node_modules/y-webrtc/bin/server.js`],
        /Signaling server running/,
        `ws://127.0.0.1:${port}`,
        { PORT: String(port) },
      ),
  },
  {
    id: "ws-ceiling",
    label: "ceiling: minimal Node ws relay",
    protocol: "seed",
    hasLimits: false,
    hibernates: false,
    start: (port, _vars, cpu) =>
      launch(
        cpu,
        "node",
        [...tsx, `${root}bench/ceiling/ws-relay.ts`, String(port)],
        /READY/,
        `ws://127.0.0.1:${port}`,
      ),
  },
];

/** A Worker served by workerd through Miniflare, in its own process (bench/servers/miniflare-main.ts). */
/** `npm run serve` (the self-hosted server) with its rooms in a fresh directory; clients connect to `path`. */
function selfHosted(cpu: string, port: number, vars: Record<string, string>, path: string) {
  return launch(
    cpu,
    "node",
    [...tsx, `${root}deploy/workerd/serve.ts`],
    /Ready on http/,
    `ws://127.0.0.1:${port}${path}`,
    {
      ...vars,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: mkdtempSync(join(tmpdir(), "bench-serve-")),
    },
  );
}

function miniflare(cpu: string, port: number, entry: string, className: string, vars: Record<string, string>) {
  const args = [
    ...tsx,
    `${root}bench/servers/miniflare-main.ts`,
    String(port),
    `${root}${entry}`,
    className,
    JSON.stringify(vars),
  ];
  return launch(cpu, "node", args, /READY/, `ws://127.0.0.1:${port}/rooms/bench`);
}

async function launch(
  cpu: string,
  command: string,
  args: string[],
  ready: RegExp,
  url: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const child = spawn("taskset", ["-c", cpu, command, ...args], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command} ${args.join(" ")} not ready in 60 s:\n${output}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${command} exited with ${code} before it was ready:\n${output}`)));
  });
  // Keep draining output so the server never blocks on a full pipe.
  child.stdout?.removeAllListeners("data").resume();
  child.stderr?.removeAllListeners("data").resume();
  return { url, pid: child.pid as number, stop: () => stopGroup(child) };
}

function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) return resolve();
    const pid = child.pid;
    const force = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      clearTimeout(force);
      resolve();
    }
  });
}
