/**
 * Everything a room does with a connection, from the moment it is accepted to its close: admit, rate-limit,
 * decode, hand to the room, encode and deliver. It runs on any host through a small `Transport`; the Durable
 * Object and the tests are such hosts. Every entry point catches, logs the room and peer (never the relayed data)
 * and answers the client with an error, never a stack trace.
 *
 * The relay path (`message` for a relay to a connected peer) touches no storage and awaits nothing.
 */
import { CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER, isAbruptCloseCode } from "./close-codes.js";
import type { Codec } from "./codec.js";
import type { ConnectionState } from "./connection-state.js";
import { type Outbound, type RoomError, type RoomEvent, roomError } from "./events.js";
import type { Limits } from "./limits.js";
import { describeError, type LogFields, type LogLevel, logEvent } from "./log.js";
import { TokenBucket } from "./rate-limit.js";
import type { Room } from "./room.js";

/** What the pipeline needs of the host's connections. */
export interface Transport<C> {
  /** Hands `text` to the connection; false when it could not (the connection is already closing). */
  send(connection: C, text: string): boolean;
  close(connection: C, code: number, reason: string): void;
  /** Keeps `state` with the connection across hibernation and eviction. */
  save(connection: C, state: ConnectionState): void;
  /** The connections the host holds right now; asked only when the cached count says the room is full. */
  countConnections(): number;
}

export interface PipelineOptions<C> {
  room: Room<C>;
  codec: Codec;
  limits: Limits;
  transport: Transport<C>;
  /** For logs and the connection state; may be learned later from a restored connection (`restore`). */
  roomName: string;
  now?: () => number;
}

export class Pipeline<C extends object> {
  readonly #room: Room<C>;
  readonly #codec: Codec;
  readonly #limits: Limits;
  readonly #transport: Transport<C>;
  readonly #now: () => number;
  readonly #buckets = new WeakMap<C, TokenBucket>();
  #roomName: string;
  /** A cache of the host's connection count, recounted whenever it says the room is full. */
  #connections = 0;

  constructor(options: PipelineOptions<C>) {
    this.#room = options.room;
    this.#codec = options.codec;
    this.#limits = options.limits;
    this.#transport = options.transport;
    this.#roomName = options.roomName;
    this.#now = options.now ?? Date.now;
  }

  get roomName(): string {
    return this.#roomName;
  }

  /** Takes back a connection the host kept across a wake, with the state saved for it. */
  restore(connection: C, state: ConnectionState | undefined): void {
    this.#connections++;
    if (!state) return;
    this.#roomName ||= state.room;
    if (state.peerId !== undefined) {
      this.#room.restore(connection, { peerId: state.peerId, presence: state.presence ?? false });
    }
  }

  /**
   * A connection was just accepted. Whether it fits is checked after accepting, so the newcomer can be told why
   * it is turned away rather than seeing a bare failed handshake (browsers hide the HTTP status of a refused
   * upgrade). Returns whether it was admitted.
   */
  open(connection: C): boolean {
    if (this.#admit()) return true;
    const max = this.#limits.maxPeersPerRoom;
    this.#send(connection, roomError("room_full", `room is full: ${max} of ${max} connections`));
    this.#transport.close(connection, CLOSE_TRY_AGAIN_LATER, "room full");
    return false;
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    let requestId: string | undefined;
    try {
      const verdict = this.#bucketOf(connection).take(this.#now());
      const decoded = this.#codec.decode(frame, this.#limits.maxMessageBytes);
      requestId = decoded.ok ? decoded.command.requestId : decoded.error.requestId;
      if (verdict !== "ok") {
        this.#send(connection, roomError("rate_limited", this.#rateText(), requestId));
        if (verdict === "abusive") this.#closeAbusive(connection);
        return;
      }
      if (!decoded.ok) {
        this.#send(connection, decoded.error);
        return;
      }
      const command = decoded.command;
      this.#deliver(connection, this.#room.handle(connection, command), requestId);
      if (command.type === "register") this.#saveRegistration(connection);
    } catch (error) {
      this.#fail(connection, "message_failed", error, requestId);
    }
  }

  /** The connection closed (the host answers the Close frame). Its peer leaves the room. */
  closed(connection: C, code: number): void {
    this.#connections = Math.max(0, this.#connections - 1);
    try {
      // A dropped network (1006) is routine; anything else worth a line is the client's own code.
      if (isAbruptCloseCode(code)) this.#log("debug", "socket_dropped", connection, { code });
      this.#deliver(connection, this.#room.leave(connection));
    } catch (error) {
      this.#fail(connection, "close_failed", error);
    }
  }

  /** The host saw the connection fail. Routine (a client vanished), so logged at debug; its peer leaves. */
  failed(connection: C, error: unknown): void {
    try {
      this.#log("debug", "socket_error", connection, { error: describeError(error) });
      this.#deliver(connection, this.#room.leave(connection));
    } catch (failure) {
      this.#fail(connection, "socket_error_failed", failure);
    }
  }

  /**
   * Whether the connection just accepted fits in the room. The count is a cache, recounted from the host only
   * when it says the room is full, so a missed close can never keep a room full.
   */
  #admit(): boolean {
    this.#connections++;
    if (this.#connections <= this.#limits.maxPeersPerRoom) return true;
    this.#connections = this.#transport.countConnections();
    return this.#connections <= this.#limits.maxPeersPerRoom;
  }

  #bucketOf(connection: C): TokenBucket {
    let bucket = this.#buckets.get(connection);
    if (!bucket) {
      bucket = new TokenBucket(this.#limits, this.#now());
      this.#buckets.set(connection, bucket);
    }
    return bucket;
  }

  /** Sends each event, encoding a broadcast once. A relay whose target is already closing is answered. */
  #deliver(origin: C, out: Outbound<C>[], requestId?: string): void {
    let last: RoomEvent | undefined;
    let text = "";
    for (const { to, event } of out) {
      if (event !== last) {
        last = event;
        text = this.#codec.encode(event);
      }
      if (!this.#transport.send(to, text) && event.type === "relay") {
        const why = "the target peer is disconnecting; the relay was not delivered";
        this.#send(origin, roomError("unknown_peer", why, requestId));
      }
    }
  }

  #send(connection: C, error: RoomError): void {
    this.#transport.send(connection, this.#codec.encode(error));
  }

  #saveRegistration(connection: C): void {
    const registration = this.#room.registrationOf(connection);
    if (!registration) return;
    this.#transport.save(connection, { room: this.#roomName, ...registration });
  }

  #closeAbusive(connection: C): void {
    this.#log("warn", "rate_abuse_closed", connection, { code: "rate_limited" });
    this.#deliver(connection, this.#room.leave(connection));
    this.#transport.close(connection, CLOSE_POLICY_VIOLATION, "rate limit exceeded for too long");
  }

  #rateText(): string {
    const { ratePerSecond, rateBurst } = this.#limits;
    return `over the rate limit of ${ratePerSecond} messages/s (bursts of ${rateBurst}); the message was dropped`;
  }

  /** Logs one line and tells the client, echoing its request id so that a waiting request settles. */
  #fail(connection: C, event: string, error: unknown, requestId?: string): void {
    this.#log("error", event, connection, { code: "internal_error", error: describeError(error) });
    try {
      const text = "the server failed to handle this message; it was dropped";
      this.#send(connection, roomError("internal_error", text, requestId));
    } catch {
      // Nothing more to tell a connection that cannot be written to.
    }
  }

  #log(level: LogLevel, event: string, connection: C, fields: LogFields): void {
    logEvent(level, event, { room: this.#roomName, peer_id: this.#room.registrationOf(connection)?.peerId, ...fields });
  }
}
