/** Paging a peer list (`list_peers {limit, after}`). */

/** One page of `ids` in id order, after `after`, at most `limit` long, and where the next page starts. */
export function page(ids: string[], limit?: number, after?: string): { peers: string[]; next?: string } {
  if (limit === undefined && after === undefined) return { peers: ids };
  const sorted = ids.sort().filter((id) => after === undefined || id > after);
  if (limit === undefined || sorted.length <= limit) return { peers: sorted };
  const peers = sorted.slice(0, limit);
  return { peers, next: peers[peers.length - 1] };
}
