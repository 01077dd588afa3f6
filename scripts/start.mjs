// `npm start`: `wrangler dev` (arguments pass through), told that it is the local dev server (SIGNAL_RUNTIME, for
// the server's address rules) and not to fetch Cloudflare's sample `Request.cf`: the server reads nothing of it,
// and offline the fetch printed a stack trace at every start. CLOUDFLARE_CF_FETCH_ENABLED=true brings it back.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(
  process.execPath,
  [wrangler, "dev", "--var", "SIGNAL_RUNTIME:wrangler-dev", ...process.argv.slice(2)],
  { stdio: "inherit", env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env } },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
