/**
 * New connections per address per minute, across rooms: what keeps one client from reconnecting its way around the
 * per-connection rate limit, or from opening rooms by the thousand. On Cloudflare the Workers rate-limiting binding
 * counts across the network; this is the local stand-in (per isolate, so only approximate when a deployment runs
 * many), used where no binding is configured and by the tests.
 */
export class ConnectionRateLimiter {
  #window = 0;
  #counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one new connection from `address`; false when it is over the limit this minute. */
  take(address: string): boolean {
    const window = Math.floor(this.now() / 60_000);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts = new Map();
    }
    const count = (this.#counts.get(address) ?? 0) + 1;
    this.#counts.set(address, count);
    return count <= this.perMinute;
  }
}
