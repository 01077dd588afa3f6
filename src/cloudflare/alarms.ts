/**
 * One object has one alarm; three things may ask for it: the service (a reservation running out, a sweep), the
 * metrics report waiting for its interval, and the webhook outbox's next retry. The alarm is set to the earliest
 * of them, and set again only when that moves (each `setAlarm` is a row written on Cloudflare). A fresh instance
 * (after hibernation, eviction, a restart) does not know who asked for the alarm already set: the host hands it
 * over (`inherit`), kept until it comes, and then taken as the service's and the outbox's, which each check what
 * is really due. Otherwise a later ask would move it and lose what an earlier instance asked for.
 */
export type AlarmUse = "service" | "metrics" | "webhooks" | "inherited";

export class Alarms {
  readonly #asked = new Map<AlarmUse, number>();
  #set: number | undefined;
  /** False until `inherit` says what is set: asks are kept, and applied then. */
  #known: boolean;

  /** `inheriting`: the host will say (`inherit`) what alarm an earlier instance set. */
  constructor(
    private readonly setAlarm: (at: number | undefined) => void,
    inheriting = false,
  ) {
    this.#known = !inheriting;
  }

  ask(use: AlarmUse, at: number | undefined): void {
    if (at === undefined) this.#asked.delete(use);
    else this.#asked.set(use, at);
    this.#apply();
  }

  /** The alarm an earlier instance set, found at start: kept as asked until it comes. */
  inherit(at: number | null): void {
    this.#set = at ?? undefined;
    if (at !== null) this.#asked.set("inherited", at);
    this.#known = true;
    this.#apply();
  }

  /** The alarm came at `now`: the uses it was for, each forgotten until it asks again. */
  came(now: number): Set<AlarmUse> {
    this.#set = undefined;
    const due = new Set<AlarmUse>();
    if (this.#asked.size === 0) due.add("inherited");
    for (const [use, at] of this.#asked) {
      if (at <= now) {
        due.add(use);
        this.#asked.delete(use);
      }
    }
    if (due.delete("inherited")) {
      due.add("service");
      due.add("webhooks");
    }
    this.#apply();
    return due;
  }

  /** The storage was wiped, and its alarm with it: what is still asked for is asked again. */
  wiped(): void {
    this.#set = undefined;
    this.#apply();
  }

  #apply(): void {
    if (!this.#known) return;
    let earliest: number | undefined;
    for (const at of this.#asked.values()) if (earliest === undefined || at < earliest) earliest = at;
    if (earliest === this.#set) return;
    this.#set = earliest;
    this.setAlarm(earliest);
  }
}
