/**
 * Runs the Worker in workerd through Miniflare, without wrangler's dev proxy: the way tests that need the runtime
 * untouched (message ordering, timing) and the benchmarks reach it. Bundles src/cloudflare/worker.ts with esbuild first.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface LocalWorker {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** ws://127.0.0.1:<port> */
  readonly wsUrl: string;
  dispose(): Promise<void>;
}

export interface LocalWorkerOptions {
  /** wrangler [vars], e.g. raised limits for one test. */
  vars?: Record<string, string>;
  port?: number;
  /** The entry module; the project's Worker unless a benchmark brings its own. */
  entry?: string;
  /** The Durable Object class the entry exports as binding `Peers`. */
  className?: string;
}

export async function startLocalWorker(options: LocalWorkerOptions = {}): Promise<LocalWorker> {
  const bundle = await build({
    entryPoints: [options.entry ?? `${root}src/cloudflare/worker.ts`],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*"],
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0]?.text;
  if (!script) throw new Error("esbuild produced no output for the Worker");
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: wranglerCompatibilityDate(),
    compatibilityFlags: wranglerCompatibilityFlags(),
    durableObjects: {
      Peers: { className: options.className ?? "Peers", useSQLite: true },
      // The project's own Worker also serves y-webrtc; a benchmark's entry has only its Peers.
      ...(options.entry
        ? {}
        : {
            Topics: { className: "Topics", useSQLite: true },
            PeerjsRooms: { className: "PeerjsRooms", useSQLite: true },
            Trackers: { className: "Trackers", useSQLite: true },
            Lobbies: { className: "Lobbies", useSQLite: true },
          }),
    },
    bindings: options.vars ?? {},
    host: "127.0.0.1",
    port: options.port ?? 0,
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, wsUrl: url.replace(/^http/, "ws"), dispose: () => mf.dispose() };
}

/** wrangler.toml's compatibility_flags, so that Miniflare runs the Worker as a deployment would. */
export function wranglerCompatibilityFlags(): string[] {
  const toml = readFileSync(`${root}wrangler.toml`, "utf8");
  const list = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
}

function wranglerCompatibilityDate(): string {
  const toml = readFileSync(`${root}wrangler.toml`, "utf8");
  const date = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return date;
}
