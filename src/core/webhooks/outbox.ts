/**
 * A room's webhooks, delivered at least once and in order: each event is written to the room's storage before it
 * is sent (so a crash, an eviction or a deploy loses none), sent one at a time (the next waits for the one before,
 * so a receiver sees a room's events in order), deleted once the receiver answers 2xx, and otherwise tried again
 * with backoff, under the same `webhook-id`, from a wake-up the host sets, up to `maxAttempts` before it is dropped
 * (logged and counted). Nothing here is awaited by the relay path: sending runs beside it. What waits is in
 * storage, not memory, and bounded per room (`MAX_PENDING`): a dead receiver costs rows, never a stalled room.
 */
import type { WebhookConfig, WebhookEvent } from "../config/config.js";
import type { LogFields, LogLevel } from "../log.js";
import { COUNTERS, type Meter, series } from "../metrics/meter.js";
import { signWebhook } from "./sign.js";

export interface PendingWebhook {
  id: string;
  body: string;
  attempts: number;
  /** When it may be sent (ms since the epoch). */
  due: number;
}

export interface OutboxStore {
  add(webhook: PendingWebhook): void;
  /** The oldest waiting. */
  head(): PendingWebhook | undefined;
  count(): number;
  remove(id: string): void;
  retry(id: string, attempts: number, due: number): void;
}

export interface OutboxOptions {
  config: WebhookConfig;
  store: OutboxStore;
  now: () => number;
  schedule: (at: number | undefined) => void;
  meter: Meter;
  log: (level: LogLevel, event: string, fields: LogFields) => void;
  fetch?: typeof fetch;
  /** The outbox emptied (the host may now wipe a room that emptied too). */
  drained?: () => void;
}

/** Events one room keeps waiting for a receiver that does not answer; past it, new ones are dropped and counted. */
export const MAX_PENDING = 1000;
/** How long a receiver has to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Sent in a row by one wake-up, within a Worker invocation's subrequest limit (50 on the free plan). */
export const MAX_PER_WAKE = 20;
/** The wait before attempt n + 1 (the last repeats): about 11 hours over 10 attempts. */
export const BACKOFF_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 14_400_000];

export interface PeerEvent {
  type: WebhookEvent;
  room: string;
  peerId: string;
  endpoint: string;
  reason?: string;
  resumed?: boolean;
}

export class Outbox {
  readonly #o: OutboxOptions;
  #sending = false;
  #sentThisWake = 0;

  constructor(options: OutboxOptions) {
    this.#o = options;
  }

  /** Wants the event, by `WEBHOOK_EVENTS`. */
  wants(type: WebhookEvent): boolean {
    return this.#o.config.events.has(type);
  }

  /** Written now, sent as soon as the events before it are. */
  enqueue(event: PeerEvent): void {
    if (!this.wants(event.type)) return;
    const { store, now, meter, log } = this.#o;
    if (store.count() >= MAX_PENDING) {
      meter.add(series(COUNTERS.webhooks, { outcome: "dropped" }));
      log("warn", "webhook_dropped", { code: "outbox_full", room: event.room, peer_id: event.peerId });
      return;
    }
    const at = now();
    const data: Record<string, unknown> = { room: event.room, peer_id: event.peerId, endpoint: event.endpoint };
    if (event.reason !== undefined) data.reason = event.reason;
    if (event.resumed) data.resumed = true;
    const body = JSON.stringify({ type: event.type, timestamp: new Date(at).toISOString(), data });
    store.add({ id: `msg_${randomId()}`, body, attempts: 0, due: at });
    this.kick();
  }

  /** The host's wake-up came (or the object started): whatever is due goes. */
  woke(): void {
    this.#sentThisWake = 0;
    this.kick();
  }

  /** Sends the oldest waiting if it is due and nothing is in flight; else asks to be woken when it is. */
  kick(): void {
    if (this.#sending) return;
    const { store, now, schedule } = this.#o;
    const head = store.head();
    if (!head) {
      schedule(undefined);
      this.#o.drained?.();
      return;
    }
    if (head.due > now() || this.#sentThisWake >= MAX_PER_WAKE) {
      schedule(Math.max(head.due, now() + 1));
      return;
    }
    this.#sending = true;
    this.#sentThisWake++;
    void this.#send(head).finally(() => {
      this.#sending = false;
      this.kick();
    });
  }

  get sending(): boolean {
    return this.#sending;
  }

  async #send(webhook: PendingWebhook): Promise<void> {
    const { config, store, now, meter, log } = this.#o;
    const send = this.#o.fetch ?? fetch;
    let failure: string;
    try {
      const headers = await signWebhook(config.key, webhook.id, Math.floor(now() / 1000), webhook.body);
      const response = await send(config.url, {
        method: "POST",
        headers: { ...headers },
        body: webhook.body,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) {
        store.remove(webhook.id);
        meter.add(series(COUNTERS.webhooks, { outcome: "delivered" }));
        return;
      }
      failure = `HTTP ${response.status}`;
    } catch (error) {
      failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    const attempts = webhook.attempts + 1;
    meter.add(series(COUNTERS.webhooks, { outcome: "failed" }));
    if (attempts >= config.maxAttempts) {
      store.remove(webhook.id);
      meter.add(series(COUNTERS.webhooks, { outcome: "dropped" }));
      log("warn", "webhook_dropped", { code: "gave_up", webhook_id: webhook.id, attempts, error: failure });
      return;
    }
    const wait = BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)] as number;
    store.retry(webhook.id, attempts, now() + wait);
    log("info", "webhook_failed", { webhook_id: webhook.id, attempts, error: failure, retry_in_s: wait / 1000 });
    // Stops this wake's run: the head waits for its retry, and the events after it behind it.
    this.#sentThisWake = MAX_PER_WAKE;
  }
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
