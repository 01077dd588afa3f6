/**
 * The Worker's bindings, as wrangler.toml declares them. Settings arrive as optional `[vars]` and secrets (see core/config.ts).
 * Declared on `Cloudflare.Env` so that `env` from "cloudflare:workers" carries them too.
 */
declare namespace Cloudflare {
  interface Env {
    Peers: DurableObjectNamespace<import("./objects.js").Peers>;
    /** y-webrtc's signaling: one object per namespace of topics. */
    Topics: DurableObjectNamespace<import("./objects.js").Topics>;
    /** WebSocket BitTorrent trackers: one object per namespace of swarms. */
    Trackers: DurableObjectNamespace<import("./objects.js").Trackers>;
    Lobbies: DurableObjectNamespace<import("./objects.js").Lobbies>;
    /** PeerJS clients: one object per key. */
    PeerjsRooms: DurableObjectNamespace<import("./objects.js").PeerjsRooms>;
    /** Where rooms report for `/metrics` and `/admin`: one object, named `metrics`. */
    Directory: DurableObjectNamespace<import("./directory-object.js").Directory>;
    /** The demo page (demo/, built into public/ by scripts/build-demo.mjs). */
    ASSETS: Fetcher;
    /** Optional: the Workers rate-limiting binding that caps new connections per address (wrangler.toml). */
    CONNECT_RATE_LIMITER?: RateLimit;
    /** Bound only by the self-hosted server (deploy/workerd/config.capnp): the secret of its shutdown route. */
    SHUTDOWN_SECRET?: string | null;
    [setting: string]: unknown;
  }
  interface GlobalProps {
    mainModule: typeof import("./worker.js");
    durableNamespaces: "Peers" | "Topics" | "PeerjsRooms" | "Trackers" | "Lobbies" | "Directory";
  }
}
interface Env extends Cloudflare.Env {}
