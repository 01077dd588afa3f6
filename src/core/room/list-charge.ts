/** What a peer list answer costs against the sender's rate. */
import type { Outbound } from "./events.js";

/** Peers listed per rate token beyond the first: a 1,000-peer list costs 10 more, a 5,000-peer one 50. */
export const PEERS_PER_TOKEN = 100;
/** Listed peers' `meta` per rate token: each may be up to 1 KiB, so ten cost what a hundred bare ids do. */
export const METAS_PER_TOKEN = 10;

/** The extra rate tokens the peer list answered to `connection` costs. */
export function listCharge<C>(out: Outbound<C>[], connection: C): number {
  for (const { to, event } of out) {
    if (to === connection && (event.type === "peers" || event.type === "registered")) {
      const metas = event.peerMeta === undefined ? 0 : Object.keys(event.peerMeta).length;
      return Math.floor(event.peers.length / PEERS_PER_TOKEN) + Math.floor(metas / METAS_PER_TOKEN);
    }
  }
  return 0;
}
