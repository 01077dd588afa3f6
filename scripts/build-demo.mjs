// Builds the demo page into public/, which wrangler serves as static assets: demo/app.ts bundled with the client
// SDK by esbuild, and the HTML and CSS copied. Run by `npm start`, `npm test` and `wrangler deploy` (wrangler.toml [build]).
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(`${root}public`, { recursive: true });
await build({
  entryPoints: [`${root}demo/app.ts`],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  outfile: `${root}public/app.js`,
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) copyFileSync(`${root}demo/${file}`, `${root}public/${file}`);
