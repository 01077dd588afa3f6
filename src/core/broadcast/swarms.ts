/**
 * The WebSocket BitTorrent tracker's model (bittorrent-tracker's server, which WebTorrent and Trystero use): swarms
 * by `info_hash`, peers by `peer_id`. An announce joins (or updates, or with `stopped` leaves) a swarm and hands each
 * of its `offers` to a different other peer of that swarm; an answer goes to the peer it names. A pure state machine
 * like topics.ts; ids are the clients' 20-character binary strings, kept exactly as they came.
 *
 * Beyond the original: offers that found no peer wait in the swarm (up to `OFFER_WAIT_MS`), and the next peer to
 * join receives one from each peer that left some. The original drops them, and Trystero, whose peer with the lower
 * id ignores offers while its own are out, then met a peer that came a few seconds after it only at its next
 * announce: two minutes on.
 */
import type { Outbound } from "../room/events.js";

/** Swarms one connection may be in: kept in its attachment (16 KiB at most; a binary id can take 120 characters). */
export const MAX_SWARMS_PER_CONNECTION = 32;
/** The most offers one announce hands out, as bittorrent-tracker's MAX_ANNOUNCE_PEERS. */
export const MAX_ANNOUNCE_PEERS = 82;
/**
 * Seconds between re-announces the tracker asks for. Every announce is a billed message, so this is long; Trystero
 * re-announces at the interval it is given, between 10 and 120 s, and WebTorrent at what it is given.
 */
export const ANNOUNCE_INTERVAL_SECONDS = 120;

/**
 * How long an offer that found no peer waits in its swarm for one (ms): bittorrent-tracker's client gives up on an
 * offer after 50 s, Trystero after 120 s; an answer to an offer given up on is ignored by its client.
 */
export const OFFER_WAIT_MS = 50_000;
/** The most offers of one announce that wait (Trystero keeps three out). */
export const MAX_WAITING_OFFERS = 4;
/** UTF-8 bytes of waiting offers one connection may leave, over all its swarms: they are kept in its attachment. */
export const MAX_WAITING_BYTES = 8_192;

export interface Offer {
  offer: unknown;
  offer_id: string;
}

/** Offers of a peer's last announce that found no peer, and until when they wait. */
export interface WaitingOffers {
  until: number;
  offers: Offer[];
}

export type SwarmCommand =
  | {
      type: "announce";
      infoHash: string;
      peerId: string;
      event?: "started" | "stopped" | "completed" | "update" | "paused";
      /** Bytes left to download; 0 means a seeder (`complete`). */
      left: number;
      offers: Offer[];
      numwant: number;
    }
  | { type: "answer"; infoHash: string; peerId: string; toPeerId: string; offerId: string; answer: unknown }
  | { type: "scrape"; infoHashes: string[] };

export type SwarmEvent =
  | { type: "announced"; infoHash: string; complete: number; incomplete: number }
  | { type: "offer"; infoHash: string; peerId: string; offer: unknown; offerId: string }
  | { type: "answer"; infoHash: string; peerId: string; answer: unknown; offerId: string }
  | { type: "scraped"; files: Record<string, { complete: number; incomplete: number }> }
  | { type: "failure"; code: SwarmErrorCode; message: string; infoHash?: string };

export type SwarmErrorCode =
  | "invalid_message"
  | "message_too_large"
  | "rate_limited"
  | "target_busy"
  | "peer_id_taken"
  | "room_full"
  | "too_many_swarms"
  | "internal_error";

export function swarmFailure(code: SwarmErrorCode, message: string, infoHash?: string): SwarmEvent {
  return infoHash === undefined ? { type: "failure", code, message } : { type: "failure", code, message, infoHash };
}

/** `passed`: another peer's offer handed to the sender (its receive budget may refuse it; see broadcast-service.ts). */
type SwarmOutbound<C> = Omit<Outbound<C>, "event"> & { event: SwarmEvent; passed?: true };

interface Member<C> {
  connection: C;
  complete: boolean;
  /** `sizes`: each waiting offer's UTF-8 bytes, counted once when it began to wait; `bytes` their sum. */
  waiting?: WaitingOffers & { sizes: number[]; bytes: number };
}

/** What a connection keeps: for each swarm it is in, its peer id there, whether it seeds, and its waiting offers. */
export type SwarmMemberships = Array<
  [infoHash: string, peerId: string, complete: boolean] | [string, string, boolean, WaitingOffers]
>;

const utf8 = new TextEncoder();

export class SwarmRoom<C> {
  readonly #swarms = new Map<string, Map<string, Member<C>>>();
  readonly #joined = new Map<C, Map<string, string>>();
  /** Connections other than the sender whose kept state the last command changed (their waiting offers). */
  #touched = new Set<C>();

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  get swarmCount(): number {
    return this.#swarms.size;
  }

  get peerCount(): number {
    return this.#joined.size;
  }

  membershipsOf(connection: C): SwarmMemberships {
    const out: SwarmMemberships = [];
    for (const [infoHash, peerId] of this.#joined.get(connection) ?? []) {
      const member = this.#swarms.get(infoHash)?.get(peerId);
      const complete = member?.complete ?? false;
      const waiting = member?.waiting;
      out.push(
        waiting
          ? [infoHash, peerId, complete, { until: waiting.until, offers: waiting.offers }]
          : [infoHash, peerId, complete],
      );
    }
    return out;
  }

  /** The connections, other than the sender, whose memberships the last command changed; the set is emptied. */
  touched(): C[] {
    const out = [...this.#touched];
    this.#touched.clear();
    return out;
  }

  handle(connection: C, command: SwarmCommand): SwarmOutbound<C>[] {
    switch (command.type) {
      case "announce":
        return this.#announce(connection, command);
      case "answer": {
        const { infoHash, peerId, answer, offerId } = command;
        if (this.#joined.get(connection)?.get(infoHash) !== peerId) {
          const text = "announce in this swarm with that peer_id before answering as it";
          return [{ to: connection, event: swarmFailure("peer_id_taken", text, infoHash) }];
        }
        const target = this.#swarms.get(infoHash)?.get(command.toPeerId);
        if (!target) return []; // the original drops an answer to a peer it does not know, in silence
        return [{ to: target.connection, event: { type: "answer", infoHash, peerId, answer, offerId } }];
      }
      case "scrape": {
        const names = command.infoHashes.length > 0 ? command.infoHashes : [...this.#swarms.keys()].slice(0, 100);
        const files: Record<string, { complete: number; incomplete: number }> = {};
        for (const infoHash of names) files[infoHash] = this.#counts(infoHash);
        return [{ to: connection, event: { type: "scraped", files } }];
      }
    }
  }

  restore(connection: C, memberships: SwarmMemberships): void {
    for (const [infoHash, peerId, complete, waiting] of memberships.slice(0, MAX_SWARMS_PER_CONNECTION)) {
      this.#join(connection, infoHash, peerId, complete);
      const member = this.#swarms.get(infoHash)?.get(peerId);
      if (waiting && member?.connection === connection && waiting.until > this.now()) {
        this.#wait(connection, member, waiting.offers, waiting.until);
      }
    }
  }

  /** The connection is gone: out of every swarm, as if it had announced `stopped` in each. */
  leave(connection: C): void {
    for (const [infoHash, peerId] of this.#joined.get(connection) ?? []) this.#part(connection, infoHash, peerId);
    this.#joined.delete(connection);
  }

  #announce(connection: C, command: Extract<SwarmCommand, { type: "announce" }>): SwarmOutbound<C>[] {
    const { infoHash, peerId } = command;
    if (command.event === "stopped") {
      this.#part(connection, infoHash, peerId);
      return [{ to: connection, event: { type: "announced", infoHash, ...this.#counts(infoHash) } }];
    }
    const holder = this.#swarms.get(infoHash)?.get(peerId)?.connection;
    if (holder !== undefined && holder !== connection) {
      // The first connection keeps its peer id, as the original tracker does: a second one announcing it would
      // otherwise take over the answers to its offers.
      const text = "this peer_id is in the swarm on another connection";
      return [{ to: connection, event: swarmFailure("peer_id_taken", text, infoHash) }];
    }
    const held = this.#joined.get(connection);
    if (!held?.has(infoHash) && (held?.size ?? 0) >= MAX_SWARMS_PER_CONNECTION) {
      const text = `a connection may be in ${MAX_SWARMS_PER_CONNECTION} swarms at once`;
      return [{ to: connection, event: swarmFailure("too_many_swarms", text, infoHash) }];
    }
    const joining = held?.get(infoHash) !== peerId;
    this.#join(connection, infoHash, peerId, command.left === 0);
    const out: SwarmOutbound<C>[] = [
      { to: connection, event: { type: "announced", infoHash, ...this.#counts(infoHash) } },
    ];
    const wanted = Math.min(command.numwant, command.offers.length, MAX_ANNOUNCE_PEERS);
    const others = this.#pick(infoHash, peerId, wanted);
    others.forEach((other, i) => {
      out.push({ to: other.connection, event: offerEvent(infoHash, peerId, command.offers[i] as Offer) });
    });
    const self = this.#swarms.get(infoHash)?.get(peerId) as Member<C>;
    const unsent = command.offers.slice(others.length, Math.min(wanted, others.length + MAX_WAITING_OFFERS));
    this.#wait(connection, self, unsent, this.now() + OFFER_WAIT_MS);
    if (joining) out.push(...this.#waitingFor(connection, infoHash, peerId));
    return out;
  }

  /** Keeps `offers` waiting for `member`, as many as its connection's bytes allow; none clears what waited. */
  #wait(connection: C, member: Member<C>, offers: Offer[], until: number): void {
    member.waiting = undefined;
    if (offers.length === 0) return;
    let room = MAX_WAITING_BYTES;
    for (const [infoHash, peerId] of this.#joined.get(connection) ?? []) {
      room -= this.#swarms.get(infoHash)?.get(peerId)?.waiting?.bytes ?? 0;
    }
    const kept: Offer[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    for (const offer of offers) {
      const size = utf8.encode(JSON.stringify(offer)).length;
      if (bytes + size > room) break;
      kept.push(offer);
      sizes.push(size);
      bytes += size;
    }
    if (kept.length > 0) member.waiting = { until, offers: kept, sizes, bytes };
  }

  /** One waiting offer from each other member that has one, for a peer that has just joined the swarm. */
  #waitingFor(connection: C, infoHash: string, self: string): SwarmOutbound<C>[] {
    const out: SwarmOutbound<C>[] = [];
    const now = this.now();
    for (const [peerId, member] of this.#swarms.get(infoHash) ?? []) {
      const waiting = member.waiting;
      if (peerId === self || waiting === undefined || out.length >= MAX_ANNOUNCE_PEERS) continue;
      const offer = waiting.until > now ? waiting.offers.shift() : undefined;
      if (offer !== undefined) {
        out.push({ to: connection, event: offerEvent(infoHash, peerId, offer), passed: true });
        waiting.bytes -= waiting.sizes.shift() ?? 0;
      }
      if (offer === undefined || waiting.offers.length === 0) member.waiting = undefined;
      // Another member is another connection: a connection holds one peer id in a swarm.
      this.#touched.add(member.connection);
    }
    return out;
  }

  /** Up to `count` other members of the swarm, chosen at random. */
  #pick(infoHash: string, self: string, count: number): Member<C>[] {
    if (count <= 0) return [];
    const candidates = [...(this.#swarms.get(infoHash) ?? [])].filter(([id]) => id !== self).map(([, m]) => m);
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j] as Member<C>, candidates[i] as Member<C>];
    }
    return candidates.slice(0, count);
  }

  #join(connection: C, infoHash: string, peerId: string, complete: boolean): void {
    let swarm = this.#swarms.get(infoHash);
    if (!swarm) {
      swarm = new Map();
      this.#swarms.set(infoHash, swarm);
    }
    const member = swarm.get(peerId);
    // After a wake, two connections restored with one peer id (which announce never allows): the first keeps it.
    if (member && member.connection !== connection) return;
    swarm.set(peerId, { connection, complete: complete || member?.complete === true });
    let held = this.#joined.get(connection);
    if (!held) {
      held = new Map();
      this.#joined.set(connection, held);
    }
    const previous = held.get(infoHash);
    if (previous !== undefined && previous !== peerId) swarm.delete(previous);
    held.set(infoHash, peerId);
  }

  #part(connection: C, infoHash: string, peerId: string): void {
    const swarm = this.#swarms.get(infoHash);
    if (swarm?.get(peerId)?.connection === connection) swarm.delete(peerId);
    if (swarm?.size === 0) this.#swarms.delete(infoHash);
    this.#joined.get(connection)?.delete(infoHash);
  }

  #counts(infoHash: string): { complete: number; incomplete: number } {
    let complete = 0;
    let incomplete = 0;
    for (const member of this.#swarms.get(infoHash)?.values() ?? []) {
      if (member.complete) complete++;
      else incomplete++;
    }
    return { complete, incomplete };
  }
}

function offerEvent(infoHash: string, peerId: string, offer: Offer): SwarmEvent {
  return { type: "offer", infoHash, peerId, offer: offer.offer, offerId: offer.offer_id };
}
