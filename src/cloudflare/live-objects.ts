/**
 * The objects holding sockets in this isolate, for the self-hosted server's shutdown (`POST /admin/shutdown`): there
 * the Worker and every object share one isolate, so the Worker can reach each of them and have it close its sockets
 * with 1012 before the process exits. Kept only where `SHUTDOWN_SECRET` is bound (deploy/workerd/config.capnp):
 * on Cloudflare the objects live elsewhere, and nothing is recorded.
 */
const live = new Map<string, Set<string>>();

export const liveObjects = {
  add(env: Env, binding: string, id: DurableObjectId): void {
    if (env.SHUTDOWN_SECRET === undefined) return;
    let ids = live.get(binding);
    if (!ids) {
      ids = new Set();
      live.set(binding, ids);
    }
    ids.add(id.toString());
  },
  remove(env: Env, binding: string, id: DurableObjectId): void {
    if (env.SHUTDOWN_SECRET !== undefined) live.get(binding)?.delete(id.toString());
  },
  /** Every live object, by binding and id. */
  all(): Array<{ binding: string; id: string }> {
    return [...live].flatMap(([binding, ids]) => [...ids].map((id) => ({ binding, id })));
  },
};
