/**
 * The seam between the connection front (front.ts) and what a protocol does with the frames that pass it: the room
 * of the seed protocol and PeerJS, or the topics and swarms of y-webrtc and the trackers. The front does for every
 * protocol what a connection needs whatever it speaks; a `Service` only decodes, acts and answers, through the
 * `Outlet` the front hands it.
 */
import type { Limits } from "../config/limits.js";
import type { LogFields, LogLevel } from "../log.js";
import type { Meter } from "../metrics/meter.js";
import type { Refusal } from "./admission.js";

/**
 * How a connection went. `goodbye`: it said so (a clean close), or the server sent it away for good (abuse): it
 * leaves at once. `dropped`: anything else (its network, a close to reconnect, the server taking it as dead or
 * restarting): a protocol that can may hold its place for it to come back.
 */
export type Departure = "goodbye" | "dropped";

/** The errors the front itself says, in each protocol's own words. */
export type FrontErrorCode = "rate_limited" | "room_full" | "internal_error";

export interface Service<C, S> {
  /** The protocol's name, for logs: seed, peerjs, y-webrtc, webtorrent. */
  readonly protocol: string;
  /** Its clients heartbeat on their own (PeerJS, y-webrtc): their silence counts against them from the start. */
  readonly heartbeats: boolean;
  /** Decodes and acts on one frame from `connection`, within the connection's message rate. */
  message(connection: C, frame: string | ArrayBuffer): void;
  /** The frame that tells a client of one of the front's refusals, or undefined where the protocol stays silent. */
  refusalFrame(code: FrontErrorCode, message: string, requestId?: string): string | undefined;
  /** A frame's request id, read without parsing it (for a frame refused before it is parsed). */
  peekRequestId(frame: string | ArrayBuffer): string | undefined;
  /** The protocol's part of an attachment, or undefined when it is nothing this version can read. */
  parseState(value: unknown): S | undefined;
  /** Takes back a connection kept across a wake, with the state saved for it. */
  restore(connection: C, state: S | undefined): void;
  /** Every connection the host kept was taken back (none, after a crash): the service may settle what it holds. */
  restored?(): void;
  /** Before an upgrade is accepted: what its query asks, refused in the protocol's words (PeerJS's `?id=&token=`). */
  refuse?(query: URLSearchParams): Refusal | undefined;
  /** A connection was accepted: a protocol whose clients register by connecting (PeerJS) registers it here. */
  opened?(connection: C, query: URLSearchParams): void;
  /** The connection is gone; whatever it held is let go (or, `dropped`, held for it to come back). */
  gone(connection: C, how: Departure): void;
  /** The wake-up asked for with `Outlet.schedule` came. */
  alarm?(): void;
  /** What to log about a connection beside the object's name (its peer id). */
  describe?(connection: C): LogFields;
  stats(): Record<string, number>;
}

/**
 * Why a frame is handed to a connection. A `reply` answers the connection's own message (and what it asked for by
 * resuming): it is always sent, and a connection that asks for more than it reads is closed. An `event` is sent
 * on someone else's behalf (a relay, a publish, an offer): refused when the receiver's budget cannot take it, so
 * that a sender is told rather than the receiver closed. A `notice` (presence) is skipped the same way, silently.
 */
export type Cause = "reply" | "event" | "notice";

/** What became of a frame: handed over, refused for the receiver's budget, or the receiver is already going. */
export type Handed = "sent" | "busy" | "gone";

export interface Outlet<C, S> {
  readonly limits: Limits;
  /** Counts for `/metrics` (relays by outcome, errors by code), reported by the host. */
  readonly meter: Meter;
  /** The object's name: its room, namespace or key. */
  readonly name: string;
  /** The time of the message (or close, or alarm) being handled: one clock reading serves all of it. */
  now(): number;
  send(to: C, text: string, cause: Cause): Handed;
  /**
   * Charges `bytes` (a frame times its receivers) to what `from` may make the server send; the refusal's text when
   * it cannot pay, in which case nothing is charged and nothing must be sent.
   */
  spend(from: C, bytes: number): string | undefined;
  /** Charges `from` this many more messages of its rate, for work past the message itself (a long list). */
  charge(from: C, messages: number): void;
  /** The connection registered (subscribed, announced): the register timeout no longer applies to it. */
  registered(connection: C): void;
  /** Keeps the protocol's `state` with the connection across hibernation. */
  save(connection: C, state: S | undefined): void;
  /** Closes a connection the service has already let go of. */
  disconnect(connection: C, code: number, reason: string): void;
  /** False for a connection that showed it keeps alive and then fell silent for longer than the idle timeout. */
  isLive(connection: C): boolean;
  /** The connection sent a ping that reached the room: from now on its silence counts against it. */
  keptAlive(connection: C): void;
  /** What the host learned of the connection before accepting it. */
  identity(connection: C): { address: string; subject: string | undefined };
  /** The connections open, as admission counts them. */
  connectionCount(): number;
  /** Asks to be woken (`Service.alarm`) at `at`, or not at all. */
  schedule(at: number | undefined): void;
  log(level: LogLevel, event: string, connection: C | undefined, fields?: LogFields): void;
}
