/**
 * What one object (or one Worker isolate) counted since it last reported: counters by series, in memory only. A
 * series is a metric's name with its labels but without `endpoint`, which the directory adds from the report.
 * Counting is a map update: cheap enough for the relay path, which counts one delivered relay per relay.
 */

/** The counters every source may report, by Prometheus name (counters end in `_total`). */
export const COUNTERS = {
  received: "signal_messages_received_total",
  sent: "signal_messages_sent_total",
  relays: "signal_relays_total",
  errors: "signal_errors_total",
  refusals: "signal_refusals_total",
  webhooks: "signal_webhooks_total",
} as const;

/** Why a connection or a frame was turned away, as `signal_refusals_total{reason}` says. */
export type RefusalReason = "rate" | "caps" | "origin" | "token" | "address" | "bad_request";

/** `name{label="value",...}`, the values escaped as the Prometheus text format asks. */
export function series(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(",")}}`;
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

const DELIVERED = series(COUNTERS.relays, { outcome: "delivered" });

export class Meter {
  /** Relays handed to a live receiver: counted on the relay path, so a field rather than a map entry. */
  relaysDelivered = 0;
  readonly #counts = new Map<string, number>();

  add(key: string, n = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + n);
  }

  error(code: string): void {
    this.add(series(COUNTERS.errors, { code }));
  }

  refusal(reason: RefusalReason): void {
    this.add(series(COUNTERS.refusals, { reason }));
  }

  relay(outcome: "kept" | "undeliverable"): void {
    this.add(series(COUNTERS.relays, { outcome }));
  }

  /** Whether anything was counted since the last `take`. */
  get counted(): boolean {
    return this.#counts.size > 0 || this.relaysDelivered > 0;
  }

  /** Everything counted since the last take, which starts again from zero. */
  take(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries(this.#counts);
    if (this.relaysDelivered > 0) out[DELIVERED] = (out[DELIVERED] ?? 0) + this.relaysDelivered;
    this.#counts.clear();
    this.relaysDelivered = 0;
    return out;
  }
}
