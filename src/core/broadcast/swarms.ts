/**
 * The WebSocket BitTorrent tracker's model (bittorrent-tracker's server, which WebTorrent and Trystero use): swarms
 * by `info_hash`, peers by `peer_id`. An announce joins (or updates, or with `stopped` leaves) a swarm and hands each
 * of its `offers` to a different other peer of that swarm; an answer goes to the peer it names. A pure state machine
 * like topics.ts; ids are the clients' 20-character binary strings, kept exactly as they came.
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

export interface Offer {
  offer: unknown;
  offer_id: string;
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

type SwarmOutbound<C> = Omit<Outbound<C>, "event"> & { event: SwarmEvent };

interface Member<C> {
  connection: C;
  complete: boolean;
}

/** What a connection keeps: for each swarm it is in, its peer id there and whether it seeds. */
export type SwarmMemberships = Array<[infoHash: string, peerId: string, complete: boolean]>;

export class SwarmRoom<C> {
  readonly #swarms = new Map<string, Map<string, Member<C>>>();
  readonly #joined = new Map<C, Map<string, string>>();

  constructor(private readonly random: () => number = Math.random) {}

  get swarmCount(): number {
    return this.#swarms.size;
  }

  get peerCount(): number {
    return this.#joined.size;
  }

  membershipsOf(connection: C): SwarmMemberships {
    const out: SwarmMemberships = [];
    for (const [infoHash, peerId] of this.#joined.get(connection) ?? []) {
      out.push([infoHash, peerId, this.#swarms.get(infoHash)?.get(peerId)?.complete ?? false]);
    }
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
    for (const [infoHash, peerId, complete] of memberships.slice(0, MAX_SWARMS_PER_CONNECTION)) {
      this.#join(connection, infoHash, peerId, complete);
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
    this.#join(connection, infoHash, peerId, command.left === 0);
    const out: SwarmOutbound<C>[] = [
      { to: connection, event: { type: "announced", infoHash, ...this.#counts(infoHash) } },
    ];
    const wanted = Math.min(command.numwant, command.offers.length, MAX_ANNOUNCE_PEERS);
    const others = this.#pick(infoHash, peerId, wanted);
    others.forEach((other, i) => {
      const offer = command.offers[i] as Offer;
      const event: SwarmEvent = { type: "offer", infoHash, peerId, offer: offer.offer, offerId: offer.offer_id };
      out.push({ to: other.connection, event });
    });
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
