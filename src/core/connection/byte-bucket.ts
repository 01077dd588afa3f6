/**
 * A budget of bytes that refills at a steady rate, up to a burst. Two of them per connection: what it may make the
 * server send on its behalf (its relays and publishes, times their receivers), and what the server hands it. workerd
 * offers no `bufferedAmount`, so bytes a client has not read cannot be seen; what is handed over is the measure.
 * Counted in UTF-16 units of the text sent, which are bytes for the ASCII that JSON signaling is made of.
 */
export class ByteBucket {
  #bytes: number;
  #updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#bytes = burst;
    this.#updatedAt = now;
  }

  /** Takes `bytes` if the bucket holds them; false (and nothing taken) if not. */
  tryTake(bytes: number, now: number): boolean {
    this.#refill(now);
    if (bytes > this.#bytes) return false;
    this.#bytes -= bytes;
    return true;
  }

  /** Takes `bytes` whatever the bucket holds; false once that overdraws it. */
  take(bytes: number, now: number): boolean {
    this.#refill(now);
    this.#bytes -= bytes;
    return this.#bytes >= 0;
  }

  /** Seconds until `bytes` could be taken, for a refusal's text. */
  secondsUntil(bytes: number): number {
    return Math.max(1, Math.ceil((bytes - this.#bytes) / this.ratePerSecond));
  }

  #refill(now: number): void {
    const elapsed = now - this.#updatedAt;
    if (elapsed <= 0) return;
    this.#bytes = Math.min(this.burst, this.#bytes + (elapsed * this.ratePerSecond) / 1000);
    this.#updatedAt = now;
  }
}
