/**
 * What a room keeps with each connection outside its memory, so that it survives hibernation and eviction: on
 * Cloudflare, the socket's attachment. Read back from `unknown`, since a newer or older version may have written it.
 */
import { MAX_ROOM_NAME_LENGTH, PLATFORM_MAX_ATTACHMENT_BYTES } from "../config/limits.js";
import { isValidPeerId, isValidRoomName } from "../wire/protocol.js";

/**
 * At most about 420 bytes as JSON (a 64-character room name, peer id, token and subject, an IPv6 address), far under the runtime's cap of
 * `PLATFORM_MAX_ATTACHMENT_BYTES`; whatever is added here must stay under it.
 */
export interface ConnectionState {
  room: string;
  peerId?: string;
  presence?: boolean;
  /** The registration's resume token, so that it can still be taken over after a wake. */
  token?: string;
  /** When the connection last sent anything (ms), saved now and then, so that silence is measured across a wake. */
  seen?: number;
  /** Relays to this connection are numbered past this after a wake (see delivery.ts). */
  seq?: number;
  /** Where it connected from, for the per-address caps. */
  address?: string;
  /** The only peer id its join token lets it register. */
  subject?: string;
}

export const MAX_CONNECTION_STATE_BYTES = PLATFORM_MAX_ATTACHMENT_BYTES;
/** The largest state this version writes, for the test that keeps it under the cap. */
export const LARGEST_CONNECTION_STATE: ConnectionState = {
  room: "r".repeat(MAX_ROOM_NAME_LENGTH),
  peerId: "p".repeat(64),
  presence: true,
  token: "t".repeat(64),
  seen: 1_800_000_000_000,
  seq: 9_007_199_254_740_991,
  address: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
  subject: "s".repeat(64),
};

/** The longest address kept (an IPv6 address with an IPv4 tail is 45 characters). */
export const MAX_ADDRESS_LENGTH = 45;

/** The state kept with a connection, or undefined when it has none or one this version cannot read. */
export function parseConnectionState(value: unknown): ConnectionState | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { room, peerId, presence, token, seen, seq, address, subject } = value as Record<string, unknown>;
  if (!isValidRoomName(room)) return undefined;
  const state: ConnectionState = { room };
  if (isValidPeerId(peerId)) state.peerId = peerId;
  if (typeof presence === "boolean") state.presence = presence;
  if (typeof token === "string" && token.length > 0 && token.length <= 64) state.token = token;
  if (typeof seen === "number" && Number.isFinite(seen)) state.seen = seen;
  if (typeof seq === "number" && Number.isSafeInteger(seq) && seq > 0) state.seq = seq;
  if (typeof address === "string" && address.length <= MAX_ADDRESS_LENGTH) state.address = address;
  if (isValidPeerId(subject)) state.subject = subject;
  return state;
}
