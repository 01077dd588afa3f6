// What joinRoom costs a page: the SDK bundled for a browser with only `joinRoom` imported, minified, and gzipped.
// `npm run size`; the README quotes it, and test/node/bundle-size.test.ts keeps that quote true.

import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function joinRoomBundle() {
  const result = await build({
    stdin: { contents: 'export { joinRoom } from "./src/client/index.ts";', loader: "ts", resolveDir: root },
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { minified, gzipped } = await joinRoomBundle();
  console.log(
    `joinRoom for browsers: ${(minified / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzipped`,
  );
}
