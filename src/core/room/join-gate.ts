/**
 * Who may register, beyond the room's own rules (ids taken or held): a connection bound to its join token's `sub`
 * registers only that id, and the joins of an address are refused while its comings and goings have cost the
 * room's presence watchers more than its budget (see presence-budget.ts).
 */
import type { Limits } from "../config/limits.js";
import { PresenceBudget } from "./presence-budget.js";

export interface Joiner {
  /** Where it connected from; "" when unknown. */
  address: string;
  /** The only peer id it may register. */
  subject: string | undefined;
}

export class JoinGate {
  readonly #budget: PresenceBudget;

  constructor(limits: Pick<Limits, "presenceFanoutPerSecond" | "presenceFanoutBurst">) {
    this.#budget = new PresenceBudget(limits);
  }

  /** Why `joiner` may not register `peerId` in a room with `watchers` presence watchers, or undefined. */
  refusal(
    joiner: Joiner,
    peerId: string,
    watchers: number,
    now: number,
  ): { code: "forbidden" | "rate_limited"; text: string } | undefined {
    if (joiner.subject !== undefined && peerId !== joiner.subject) {
      return { code: "forbidden", text: `this connection's token lets it register only as "${joiner.subject}"` };
    }
    // Without an address nothing can be charged to anyone: a shared budget would let one churner lock the room.
    if (joiner.address === "") return undefined;
    const cost = this.#budget.cycleCost(watchers);
    if (this.#budget.allows(joiner.address, cost, now)) return undefined;
    const wait = this.#budget.waitFor(joiner.address, cost, now);
    const text = `joins from this address are arriving faster than this room's ${watchers} presence watchers should be told; try again in ${wait} s`;
    return { code: "rate_limited", text };
  }

  /** A registered peer from `address` is leaving: the address pays for the presence events of its stay. */
  leaving(address: string, watchers: number, now: number): void {
    if (watchers > 0 && address !== "") this.#budget.charge(address, this.#budget.cycleCost(watchers), now);
  }
}
