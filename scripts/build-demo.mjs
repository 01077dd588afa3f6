// Builds the demo page into public/, which wrangler serves as static assets: demo/app.ts bundled with the client
// SDK by esbuild, and the HTML and CSS copied; the SDK alone as /client.js (for pages of your own, such as
// examples/browser.html, served as /examples/browser.html). Run by `npm start`, `npm test` and `wrangler deploy` (wrangler.toml [build]).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUTPUTS = [
  "app.js",
  "index.html",
  "style.css",
  "client.js",
  "examples/browser.html",
  "admin/app.js",
  "admin/index.html",
  "admin/style.css",
  "admin/uPlot.min.css",
].map((file) => `${root}public/${file}`);
const INPUTS = ["demo", "examples", "admin", "src/client", "src/core"].map((dir) => `${root}${dir}`);

/** The newest modification time of the files under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

// Up to date: every output is newer than every input (wrangler's watcher asks again at startup).
const built = OUTPUTS.every(existsSync) ? Math.min(...OUTPUTS.map((file) => statSync(file).mtimeMs)) : 0;
if (built > Math.max(...INPUTS.map(newest))) process.exit(0);

mkdirSync(`${root}public`, { recursive: true });
// What an older build left: not to be deployed.
rmSync(`${root}public/app.js.map`, { force: true });
/**
 * Bundles `entry` for browsers into public/`out`, minified. No source map: public/ is what `wrangler deploy` ships,
 * and a map would publish the sources with it.
 */
const bundle = (entry, out) =>
  build({
    entryPoints: [`${root}${entry}`],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    outfile: `${root}public/${out}`,
    logLevel: "warning",
  });
await bundle("demo/app.ts", "app.js");
await bundle("src/client/index.ts", "client.js");
for (const file of ["index.html", "style.css"]) copyFileSync(`${root}demo/${file}`, `${root}public/${file}`);
// The admin page (served at /admin only where ADMIN_TOKEN is set), with uPlot bundled in.
await bundle("admin/app.ts", "admin/app.js");
for (const file of ["index.html", "style.css"]) copyFileSync(`${root}admin/${file}`, `${root}public/admin/${file}`);
copyFileSync(`${root}node_modules/uplot/dist/uPlot.min.css`, `${root}public/admin/uPlot.min.css`);
mkdirSync(`${root}public/examples`, { recursive: true });
copyFileSync(`${root}examples/browser.html`, `${root}public/examples/browser.html`);
