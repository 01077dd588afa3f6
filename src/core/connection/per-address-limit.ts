/**
 * So many of something per address per minute: new connections across rooms (what keeps one client from
 * reconnecting its way around the per-connection rate, or from opening rooms by the thousand), answers of
 * `/ice-servers`, failed admin tokens. On Cloudflare the Workers rate-limiting binding counts across the network;
 * this is the local stand-in (per isolate, so only approximate when a deployment runs many), used where no binding
 * is configured and by the tests.
 *
 * A sliding minute, estimated from two fixed ones the way most rate limiters do: what the last minute counted,
 * weighted by how much of it is still inside the sliding window, plus this minute's count. A fixed window alone
 * would forget an address's whole count at the turn of the minute: ten wrong admin tokens at 59.9 s, ten more at
 * 60.1 s.
 */
export class PerAddressLimit {
  #window = 0;
  #previous = new Map<string, number>();
  #counts = new Map<string, number>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one more for `address`; false when that is over the limit for the sliding minute. */
  take(address: string): boolean {
    const used = this.used(address);
    this.#counts.set(address, (this.#counts.get(address) ?? 0) + 1);
    return used + 1 <= this.perMinute;
  }

  /** How many `address` has taken in the sliding minute that ends now (an estimate, rounded up). */
  used(address: string): number {
    const now = this.now();
    const window = Math.floor(now / 60_000);
    if (window !== this.#window) {
      this.#previous = window === this.#window + 1 ? this.#counts : new Map();
      this.#counts = new Map();
      this.#window = window;
    }
    const left = 1 - (now % 60_000) / 60_000;
    return Math.ceil((this.#previous.get(address) ?? 0) * left) + (this.#counts.get(address) ?? 0);
  }
}
