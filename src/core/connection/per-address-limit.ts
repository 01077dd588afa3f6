/**
 * So many of something per address per minute: new connections across rooms (what keeps one client from
 * reconnecting its way around the per-connection rate, or from opening rooms by the thousand), answers of
 * `/ice-servers`, failed admin tokens. On Cloudflare the Workers rate-limiting binding counts across the network;
 * this is the local stand-in (per isolate, so only approximate when a deployment runs many), used where no binding
 * is configured and by the tests. Fixed one-minute windows; what a window counted is dropped with it.
 */
export class PerAddressLimit {
  #window = 0;
  #counts = new Map<string, number>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one more for `address`; false when that is over the limit this minute. */
  take(address: string): boolean {
    const count = this.used(address) + 1;
    this.#counts.set(address, count);
    return count <= this.perMinute;
  }

  /** How many `address` has taken this minute. */
  used(address: string): number {
    const window = Math.floor(this.now() / 60_000);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts = new Map();
    }
    return this.#counts.get(address) ?? 0;
  }
}
