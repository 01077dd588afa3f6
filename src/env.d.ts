/** The Worker's bindings, as wrangler.toml declares them. Limits arrive as optional `[vars]` (see limits.ts). */
interface Env {
  Peers: DurableObjectNamespace<import("./peers.js").Peers>;
  [limitVar: string]: unknown;
}

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./worker.js");
    durableNamespaces: "Peers";
  }
}
