/**
 * The objects holding sockets in this isolate, for the self-hosted server's shutdown (`POST /admin/shutdown`): there
 * the Worker and every object share one isolate, so the Worker can reach each of them and have it close its sockets
 * with 1012 before the process exits. Kept only where `SHUTDOWN_SECRET` is bound (deploy/workerd/config.capnp):
 * on Cloudflare the objects live elsewhere, and nothing is recorded.
 */
const live = new Map<string, Set<string>>();
/** Set by the shutdown: from then on new connections are turned away while the process ends. */
let stopping = false;

/** Whether this is the self-hosted server, whose shutdown route needs the list. */
export function hasShutdownRoute(env: Env): boolean {
  return typeof env.SHUTDOWN_SECRET === "string" && env.SHUTDOWN_SECRET !== "";
}

export const liveObjects = {
  add(env: Env, binding: string, id: DurableObjectId): void {
    if (!hasShutdownRoute(env)) return;
    let ids = live.get(binding);
    if (!ids) {
      ids = new Set();
      live.set(binding, ids);
    }
    ids.add(id.toString());
  },
  remove(env: Env, binding: string, id: DurableObjectId): void {
    if (hasShutdownRoute(env)) live.get(binding)?.delete(id.toString());
  },
  /** The server is stopping: no new connections. */
  stop(): void {
    stopping = true;
  },
  get stopping(): boolean {
    return stopping;
  },
  /** Every live object, by binding and id. */
  all(): Array<{ binding: string; id: string }> {
    return [...live].flatMap(([binding, ids]) => [...ids].map((id) => ({ binding, id })));
  },
};
