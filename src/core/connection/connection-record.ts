/**
 * What the front keeps in memory about one connection, in one object, so that a message looks the connection up
 * once. Rebuilt from the connection's attachment after a wake; the buckets start afresh then, which is fine: a wake
 * only follows a quiet spell.
 */
import type { ByteBucket } from "./byte-bucket.js";
import type { TokenBucket } from "./rate-limit.js";

export class ConnectionRecord<S> {
  /** Messages it may send. */
  bucket: TokenBucket | undefined;
  /** Bytes it may make the server send on its behalf (a relay or a publish, times its receivers). */
  sends: ByteBucket | undefined;
  /** Bytes the server may hand it. */
  receives: ByteBucket | undefined;
  /** When it last sent anything. */
  lastSeen: number;
  /** When `lastSeen` was last saved with the connection. */
  seenSaved: number;
  /** It sent a ping that reached the room: its silence counts against it from then on. */
  keepsAlive = false;
  /** The server let it go, or its close was reported: whatever still arrives from it is dropped. */
  closed = false;
  /** The protocol's own state for it, as last saved. */
  state: S | undefined;

  constructor(
    /** When it was accepted, for the register timeout. */
    readonly openedAt: number,
    /** Where it connected from, for the per-address caps; "" when unknown. */
    readonly address: string,
    /** The only peer id its join token lets it register. */
    readonly subject: string | undefined,
    lastSeen = openedAt,
  ) {
    this.lastSeen = lastSeen;
    this.seenSaved = lastSeen;
  }
}
