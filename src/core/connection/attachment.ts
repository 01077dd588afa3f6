/**
 * What every connection keeps outside the object's memory (on Cloudflare, its socket's attachment), so that a wake
 * knows it again. Written from the moment the connection is accepted, on every endpoint: when it opened (for the
 * register timeout), where from (for the per-address caps), the one peer id its join token allows, whether it has
 * shown it keeps alive and when it last spoke (for liveness), and the protocol's own state for it (a registration,
 * topics, swarms). Read back from `unknown`: a socket may carry what a newer or older version wrote.
 */
import { MAX_ROOM_NAME_LENGTH, PLATFORM_MAX_ATTACHMENT_BYTES } from "../config/limits.js";
import { isValidPeerId, isValidRoomName } from "../wire/protocol.js";

/** Bumped whenever a field changes meaning; an attachment of another version is read as none. */
export const ATTACHMENT_VERSION = 1;

export interface Attachment<S = unknown> {
  v: typeof ATTACHMENT_VERSION;
  /** The object's name: the room, namespace or key the connection joined. */
  name: string;
  /** When the connection was accepted (ms). */
  opened: number;
  /** Where it connected from; absent when unknown. */
  address?: string;
  /** The only peer id its join token lets it register. */
  subject?: string;
  /** It showed it keeps alive by a ping that reached the room: from then on, silence counts against it. */
  keepsAlive?: true;
  /** When it last sent anything (ms), saved now and then for a connection that keeps alive. */
  seen?: number;
  /** The server let it go: a socket that outlives its close is not taken back by a wake. */
  closed?: true;
  /** The protocol's own state for the connection. */
  state?: S;
}

/** The longest address kept (an IPv6 address with an IPv4 tail is 45 characters). */
export const MAX_ADDRESS_LENGTH = 45;
/** Beside the protocol's own state; the runtime refuses an attachment over `PLATFORM_MAX_ATTACHMENT_BYTES`. */
export const MAX_ATTACHMENT_BYTES = PLATFORM_MAX_ATTACHMENT_BYTES;

/** The largest attachment this version writes around a protocol state, for the test that keeps it under the cap. */
export const LARGEST_ATTACHMENT: Attachment<undefined> = {
  v: ATTACHMENT_VERSION,
  name: "r".repeat(MAX_ROOM_NAME_LENGTH),
  opened: 1_800_000_000_000,
  address: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
  subject: "s".repeat(64),
  keepsAlive: true,
  seen: 1_800_000_000_000,
  closed: true,
};

/**
 * The attachment a socket carries, or undefined when it has none or one this version cannot read. A field that
 * cannot be trusted is dropped rather than the whole attachment; `parseState` reads the protocol's part.
 */
export function parseAttachment<S>(
  value: unknown,
  parseState: (state: unknown) => S | undefined,
): Attachment<S> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { v, name, opened, address, subject, keepsAlive, seen, closed, state } = value as Record<string, unknown>;
  if (v !== ATTACHMENT_VERSION || !isValidRoomName(name) || !isTime(opened)) return undefined;
  const attachment: Attachment<S> = { v, name, opened };
  if (typeof address === "string" && address !== "" && address.length <= MAX_ADDRESS_LENGTH)
    attachment.address = address;
  if (isValidPeerId(subject)) attachment.subject = subject;
  if (keepsAlive === true) attachment.keepsAlive = true;
  if (isTime(seen)) attachment.seen = seen;
  if (closed === true) attachment.closed = true;
  const parsed = state === undefined ? undefined : parseState(state);
  if (parsed !== undefined) attachment.state = parsed;
  return attachment;
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}
