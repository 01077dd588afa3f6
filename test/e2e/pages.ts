/** Test pages of our own for Chromium: a script bundled with the SDK, served from http://127.0.0.1 (a secure context). */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `contents` (TypeScript, importing `./src/...` or `cf-webrtc-signal/client`) bundled for a browser page. */
export async function bundleForPage(contents: string): Promise<string> {
  const bundle = await build({
    stdin: { contents, loader: "ts", resolveDir: root },
    absWorkingDir: root,
    alias: { "cf-webrtc-signal/client": "./src/client/index.ts" },
    bundle: true,
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return bundle.outputFiles[0]?.text ?? "";
}

/** An HTTP server on a free loopback port; `url` is its origin. */
export async function servePages(
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; close(): void }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
