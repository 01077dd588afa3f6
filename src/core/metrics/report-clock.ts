/**
 * When a source reports to the directory: at once when the last report is at least `intervalMs` old, else once
 * that much time has passed, by a wake-up the host sets (an alarm), so the last change before a room falls silent
 * is not lost. A room that stays busy reports at most once per interval and needs no wake-up at all; an idle room
 * reports nothing. The interval must stay shorter than the time a host takes to hibernate an idle object (about
 * 10 s), or the counts of a burst just before a hibernation go with the memory that held them.
 */
export class ReportClock {
  #last = Number.NEGATIVE_INFINITY;
  #due: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly report: (trigger: "event" | "alarm") => void,
    private readonly schedule: (at: number | undefined) => void,
  ) {}

  /** Something changed at `now`: report, or make sure a report comes within the interval. */
  changed(now: number): void {
    if (now - this.#last >= this.intervalMs) {
      this.#send(now, "event");
      return;
    }
    if (this.#due !== undefined) return;
    this.#due = this.#last + this.intervalMs;
    this.schedule(this.#due);
  }

  /** The host's wake-up came at `now`: the report waiting for it goes, if its time has come. */
  woke(now: number): void {
    if (this.#due === undefined || now < this.#due) return;
    this.#send(now, "alarm");
  }

  /** When a report waits for a wake-up, if one does. */
  get due(): number | undefined {
    return this.#due;
  }

  #send(now: number, trigger: "event" | "alarm"): void {
    this.#last = now;
    if (this.#due !== undefined) {
      this.#due = undefined;
      this.schedule(undefined);
    }
    this.report(trigger);
  }
}
