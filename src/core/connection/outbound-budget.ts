/**
 * What the server may send one connection: a budget of bytes that refills at a steady rate. workerd offers no
 * `bufferedAmount`, so the bytes a client has not read cannot be measured; a client that stops reading (a frozen
 * tab, a hostile socket) is instead recognised by being sent more than any signaling client takes in, and is then
 * dropped, so that what the server buffers for it stays bounded.
 */
import type { Limits } from "../config/limits.js";

export class OutboundBudget {
  #bytes: number;
  #updatedAt: number;

  constructor(
    private readonly limits: Pick<Limits, "outboundBytesPerSecond" | "outboundBurstBytes">,
    now: number,
  ) {
    this.#bytes = limits.outboundBurstBytes;
    this.#updatedAt = now;
  }

  /** Spends `bytes`; false once the budget is overdrawn. */
  spend(bytes: number, now: number): boolean {
    const { outboundBytesPerSecond, outboundBurstBytes } = this.limits;
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#bytes = Math.min(outboundBurstBytes, this.#bytes + (elapsed * outboundBytesPerSecond) / 1000);
    this.#updatedAt = now;
    this.#bytes -= bytes;
    return this.#bytes >= 0;
  }
}
