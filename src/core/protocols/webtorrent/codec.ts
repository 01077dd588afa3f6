/**
 * The WebSocket BitTorrent tracker protocol, as bittorrent-tracker's server speaks it to WebTorrent and Trystero,
 * <-> swarm commands and events. `info_hash`, `peer_id`, `to_peer_id` are 20-character binary strings: JSON keeps
 * them exactly (every character below 256 survives a parse and a stringify), so they are used as they came.
 */
import { type BroadcastProtocol, FANOUT_PER_TOKEN } from "../../broadcast/broadcast-service.js";
import {
  ANNOUNCE_INTERVAL_SECONDS,
  type Offer,
  type SwarmCommand,
  type SwarmErrorCode,
  type SwarmEvent,
  type SwarmMemberships,
  SwarmRoom,
  swarmFailure,
} from "../../broadcast/swarms.js";
import type { Limits } from "../../config/limits.js";
import { FrameProblem, nestsDeeperThan, readJsonObject } from "../../wire/parse-client.js";

const EVENTS = new Set(["started", "stopped", "completed", "update", "paused", "empty"]);
const MAX_OFFER_ID_LENGTH = 64;

type Decoded = { ok: true; command: SwarmCommand } | { ok: false; error: SwarmEvent };

export function decodeWebtorrent(
  frame: string | ArrayBuffer,
  limits: Pick<Limits, "maxMessageBytes" | "maxJsonDepth">,
): Decoded {
  const m = readJsonObject(frame, limits.maxMessageBytes);
  // A tracker's clients know one failure: its reason.
  if (m instanceof FrameProblem) return fail(m.code === "message_too_large" ? m.code : "invalid_message", m.message);
  if (nestsDeeperThan(m, limits.maxJsonDepth)) return fail("invalid_message", "message nests too deep");
  if (m.action === "scrape") {
    const raw = m.info_hash;
    const infoHashes = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (!infoHashes.every(isBinaryId)) return fail("invalid_message", "invalid info_hash");
    return { ok: true, command: { type: "scrape", infoHashes: infoHashes as string[] } };
  }
  if (m.action !== "announce") return fail("invalid_message", `invalid action in WS request: ${String(m.action)}`);
  if (!isBinaryId(m.info_hash)) return fail("invalid_message", "invalid info_hash");
  if (!isBinaryId(m.peer_id)) return fail("invalid_message", "invalid peer_id");
  const infoHash = m.info_hash;
  const peerId = m.peer_id;
  if (m.answer !== undefined) {
    if (!isBinaryId(m.to_peer_id)) return fail("invalid_message", "invalid `to_peer_id` (required with `answer`)");
    if (!isOfferId(m.offer_id)) return fail("invalid_message", "invalid offer_id");
    return {
      ok: true,
      command: { type: "answer", infoHash, peerId, toPeerId: m.to_peer_id, offerId: m.offer_id, answer: m.answer },
    };
  }
  const event = m.event === undefined || m.event === "empty" ? "update" : m.event;
  if (typeof event !== "string" || !EVENTS.has(event)) return fail("invalid_message", "invalid event", infoHash);
  const offers = m.offers === undefined ? [] : m.offers;
  if (!Array.isArray(offers) || !offers.every(isOffer)) return fail("invalid_message", "invalid offers", infoHash);
  const left = Number(m.left);
  const numwant = Number(m.numwant);
  return {
    ok: true,
    command: {
      type: "announce",
      infoHash,
      peerId,
      event: event as Extract<SwarmCommand, { type: "announce" }>["event"],
      left: Number.isNaN(left) ? Number.POSITIVE_INFINITY : left,
      offers: offers as Offer[],
      numwant: Number.isFinite(numwant) && numwant >= 0 ? numwant : offers.length,
    },
  };
}

export function encodeWebtorrent(event: SwarmEvent): string {
  switch (event.type) {
    case "announced":
      return JSON.stringify({
        action: "announce",
        interval: ANNOUNCE_INTERVAL_SECONDS,
        info_hash: event.infoHash,
        complete: event.complete,
        incomplete: event.incomplete,
      });
    case "offer":
      return JSON.stringify({
        action: "announce",
        offer: event.offer,
        offer_id: event.offerId,
        peer_id: event.peerId,
        info_hash: event.infoHash,
      });
    case "answer":
      return JSON.stringify({
        action: "announce",
        answer: event.answer,
        offer_id: event.offerId,
        peer_id: event.peerId,
        info_hash: event.infoHash,
      });
    case "scraped": {
      const files: Record<string, { complete: number; incomplete: number; downloaded: number }> = {};
      for (const [infoHash, counts] of Object.entries(event.files))
        files[infoHash] = { ...counts, downloaded: counts.complete };
      return JSON.stringify({ action: "scrape", files, flags: { min_request_interval: ANNOUNCE_INTERVAL_SECONDS } });
    }
    case "failure":
      return JSON.stringify(
        event.infoHash === undefined
          ? { "failure reason": event.message }
          : { action: "announce", "failure reason": event.message, info_hash: event.infoHash },
      );
  }
}

/** The tracker served by the broadcast pipeline: one swarm room per namespace; each connection keeps its swarms. */
export function webtorrentProtocol<C>(): BroadcastProtocol<C, SwarmCommand, SwarmEvent, SwarmMemberships> {
  const room = new SwarmRoom<C>();
  return {
    name: "webtorrent",
    // A tracker's clients re-announce now and then, but do not ping.
    heartbeats: false,
    decode: decodeWebtorrent,
    encode: encodeWebtorrent,
    error: (code, message) => swarmFailure(code, message),
    handle: (connection, command) => room.handle(connection, command),
    leave: (connection) => room.leave(connection),
    stateAfter: (connection, command) => (command.type === "announce" ? room.membershipsOf(connection) : undefined),
    touched: () => room.touched().map((connection) => ({ connection, state: room.membershipsOf(connection) })),
    restore: (connection, memberships) => room.restore(connection, memberships),
    joins: (command) => command.type === "announce",
    charge: (command, receivers) => (command.type === "announce" ? Math.floor(receivers / FANOUT_PER_TOKEN) : 0),
    parseState: (value) =>
      Array.isArray(value)
        ? (value.filter(
            (m) =>
              Array.isArray(m) &&
              isBinaryId(m[0]) &&
              isBinaryId(m[1]) &&
              typeof m[2] === "boolean" &&
              (m[3] === undefined || isWaiting(m[3])),
          ) as SwarmMemberships)
        : undefined,
    stats: () => ({ swarms: room.swarmCount, peers: room.peerCount }),
  };
}

function isBinaryId(value: unknown): value is string {
  return typeof value === "string" && value.length === 20;
}

function isOfferId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_OFFER_ID_LENGTH;
}

function isWaiting(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { until, offers } = value as Record<string, unknown>;
  return typeof until === "number" && Array.isArray(offers) && offers.every(isOffer);
}

function isOffer(value: unknown): value is Offer {
  if (typeof value !== "object" || value === null) return false;
  const { offer, offer_id: offerId } = value as Record<string, unknown>;
  return offer !== undefined && isOfferId(offerId);
}

function fail(code: SwarmErrorCode, message: string, infoHash?: string): Decoded {
  return { ok: false, error: swarmFailure(code, message, infoHash) };
}
