/**
 * Every limit and default of the server, in one place. The tunable ones can be overridden by settings (wrangler
 * `[vars]`, or environment variables for the self-hosted server; see `LIMIT_VARS` and config.ts); the fixed ones
 * are part of the protocol and documented in docs/protocol.md.
 */

/** The longest peer id, room name and request id, in characters. Fixed by the protocol. */
export const MAX_PEER_ID_LENGTH = 64;
export const MAX_ROOM_NAME_LENGTH = 64;
export const MAX_REQUEST_ID_LENGTH = 64;

/** Cloudflare's own ceilings: a setting may not ask for more than the platform gives. */
export const PLATFORM_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
export const PLATFORM_MAX_WEBSOCKETS_PER_OBJECT = 32_768;
/** The most a socket's attachment may hold (serializeAttachment throws past it). */
export const PLATFORM_MAX_ATTACHMENT_BYTES = 16 * 1024;
/** The most `MAX_META_BYTES` may be set to: half the attachment, which also holds the registration around it. */
export const MAX_META_BYTES_CEILING = 8 * 1024;

/**
 * The relays last handed to each connection, kept in memory until the connection closes cleanly: a drop may
 * have lost them in flight, so they are kept for the peer and replayed past the `last_seq` it reports when it
 * resumes. Bounded per connection by count and by characters of JSON.
 */
export const MAX_UNACKED_RELAYS = 64;
export const MAX_UNACKED_CHARS = 64 * 1024;

/**
 * How far the presence revision may run ahead of its stored ceiling. One SQLite row is written per this many
 * membership changes (and once after each wake that sees a change), never one per change.
 */
export const REVISION_BLOCK = 1_000;

export interface Limits {
  /** Largest accepted message, in UTF-8 bytes. An SDP with many candidates is well under 16 KiB. */
  readonly maxMessageBytes: number;
  /** Connections per room (each is a would-be peer); past it `room_full`. */
  readonly maxPeersPerRoom: number;
  /** Token bucket per connection: the sustained rate ... */
  readonly ratePerSecond: number;
  /** ... and the burst it absorbs (ICE trickle sends a dozen candidates at once). */
  readonly rateBurst: number;
  /** A socket still sending over the rate this long after it was first limited is closed with 1008. */
  readonly abuseAfterMs: number;
  /**
   * What one connection may have the server send on its behalf (its relays and publishes, each times its
   * receivers), in characters of JSON per second, sustained ...
   */
  readonly byteRatePerSecond: number;
  /** ... and in a burst; past it a relay or publish is answered `rate_limited` and not sent. */
  readonly byteRateBurst: number;
  /** A connection not registered this long may be closed to make room (`list_peers` works meanwhile). */
  readonly registerTimeoutMs: number;
  /** How long the id of a peer whose connection dropped (not closed cleanly) is kept for it to resume. */
  readonly resumeGraceMs: number;
  /** What a reserved peer's mailbox keeps for it: messages ... */
  readonly mailboxMaxMessages: number;
  /** ... and bytes of relayed data. */
  readonly mailboxMaxBytes: number;
  /** Bytes of relayed data all the mailboxes of a room keep together. */
  readonly roomMailboxMaxBytes: number;
  /** A connection that shows no sign of life (no message, no keepalive) this long is taken as dropped. */
  readonly idleTimeoutMs: number;
  /** How deeply a message's JSON may nest (objects and arrays); deeper is `invalid_message`. */
  readonly maxJsonDepth: number;
  /**
   * What the server hands one connection, in characters of JSON per second, sustained (workerd cannot see what a
   * client has not read, so this bounds what a client that stops reading leaves buffered) ...
   */
  readonly outboundBytesPerSecond: number;
  /**
   * ... and in a burst. Past it, relays and publishes from others are refused to their senders (`target_busy`) and
   * presence events skipped; only what the connection asked for itself past it closes it (4003).
   */
  readonly outboundBurstBytes: number;
  /** Connections one address may hold in one room (`CF-Connecting-IP`); 0: no cap. */
  readonly maxConnectionsPerIp: number;
  /**
   * Presence events (`peer_joined`, `peer_left`) the comings and goings of one address may cause in a room, per
   * second (a leave is charged for its event and its join's, to every watcher; see presence-budget.ts) ...
   */
  readonly presenceFanoutPerSecond: number;
  /** ... and in a burst; past it `register` is answered `rate_limited` (a leave cannot be refused). */
  readonly presenceFanoutBurst: number;
  /**
   * The largest `meta` a peer may register with, in UTF-8 bytes of its JSON (it travels in every presence event and
   * peer list that carries it, and is kept in the connection's attachment) ...
   */
  readonly maxMetaBytes: number;
  /** ... and how deeply it may nest (objects and arrays; `{"name": "Alice"}` is 1). */
  readonly maxMetaDepth: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 64 * 1024,
  maxPeersPerRoom: 5_000,
  ratePerSecond: 50,
  rateBurst: 200,
  abuseAfterMs: 10_000,
  byteRatePerSecond: 1024 * 1024,
  byteRateBurst: 8 * 1024 * 1024,
  registerTimeoutMs: 30_000,
  resumeGraceMs: 120_000,
  mailboxMaxMessages: 256,
  mailboxMaxBytes: 256 * 1024,
  roomMailboxMaxBytes: 8 * 1024 * 1024,
  idleTimeoutMs: 120_000,
  maxJsonDepth: 64,
  outboundBytesPerSecond: 1024 * 1024,
  outboundBurstBytes: 16 * 1024 * 1024,
  maxConnectionsPerIp: 0,
  presenceFanoutPerSecond: 5_000,
  presenceFanoutBurst: 50_000,
  maxMetaBytes: 1024,
  maxMetaDepth: 4,
};

/** The setting that overrides each tunable limit, its unit as written there, and its ceiling. */
export const LIMIT_VARS = {
  maxMessageBytes: { name: "MAX_MESSAGE_BYTES", scale: 1, max: PLATFORM_MAX_MESSAGE_BYTES },
  maxPeersPerRoom: { name: "MAX_PEERS_PER_ROOM", scale: 1, max: PLATFORM_MAX_WEBSOCKETS_PER_OBJECT },
  ratePerSecond: { name: "RATE_LIMIT_PER_SECOND", scale: 1, max: 1_000_000 },
  rateBurst: { name: "RATE_LIMIT_BURST", scale: 1, max: 1_000_000 },
  abuseAfterMs: { name: "RATE_LIMIT_ABUSE_SECONDS", scale: 1_000, max: 86_400_000 },
  byteRatePerSecond: { name: "RATE_LIMIT_BYTES_PER_SECOND", scale: 1, max: 1024 * 1024 * 1024 },
  byteRateBurst: { name: "RATE_LIMIT_BURST_BYTES", scale: 1, max: 1024 * 1024 * 1024 },
  registerTimeoutMs: { name: "REGISTER_TIMEOUT_SECONDS", scale: 1_000, max: 3_600_000 },
  resumeGraceMs: { name: "RESUME_GRACE_SECONDS", scale: 1_000, max: 3_600_000 },
  mailboxMaxMessages: { name: "MAILBOX_MAX_MESSAGES", scale: 1, max: 100_000 },
  mailboxMaxBytes: { name: "MAILBOX_MAX_BYTES", scale: 1, max: 64 * 1024 * 1024 },
  roomMailboxMaxBytes: { name: "ROOM_MAILBOX_MAX_BYTES", scale: 1, max: 1024 * 1024 * 1024 },
  idleTimeoutMs: { name: "IDLE_TIMEOUT_SECONDS", scale: 1_000, max: 86_400_000 },
  maxJsonDepth: { name: "MAX_JSON_DEPTH", scale: 1, max: 10_000 },
  outboundBytesPerSecond: { name: "OUTBOUND_BYTES_PER_SECOND", scale: 1, max: 1024 * 1024 * 1024 },
  outboundBurstBytes: { name: "OUTBOUND_BURST_BYTES", scale: 1, max: 1024 * 1024 * 1024 },
  maxConnectionsPerIp: { name: "MAX_CONNECTIONS_PER_IP", scale: 1, max: PLATFORM_MAX_WEBSOCKETS_PER_OBJECT, min: 0 },
  presenceFanoutPerSecond: { name: "PRESENCE_FANOUT_PER_SECOND", scale: 1, max: 100_000_000 },
  presenceFanoutBurst: { name: "PRESENCE_FANOUT_BURST", scale: 1, max: 100_000_000 },
  // Beside a registration and the front's own fields, the attachment's 16 KiB leave this much for `meta`.
  maxMetaBytes: { name: "MAX_META_BYTES", scale: 1, max: MAX_META_BYTES_CEILING },
  maxMetaDepth: { name: "MAX_META_DEPTH", scale: 1, max: 32 },
} as const satisfies Record<keyof Limits, { name: string; scale: number; max: number; min?: number }>;
