/** The seam between the room and a wire protocol: one codec per protocol, in protocols/<name>/. */
import type { Limits } from "../config/limits.js";
import type { Refusal } from "../connection/admission.js";
import type { RoomCommand, RoomError, RoomEvent } from "./events.js";

export type Decoded = { ok: true; command: RoomCommand } | { ok: false; error: RoomError };

export interface Codec {
  /** The protocol's name, for logs. */
  readonly name: string;
  /** Its clients heartbeat on their own, so their silence counts from the start (see `Service.heartbeats`). */
  readonly heartbeats: boolean;
  /** Turns one incoming frame into a command, or an error that echoes the frame's request id if it had one. */
  decode(
    frame: string | ArrayBuffer,
    limits: Pick<Limits, "maxMessageBytes" | "maxJsonDepth" | "maxMetaBytes" | "maxMetaDepth">,
  ): Decoded;
  /** A frame's request id read without decoding it, for a frame refused before decoding (over the rate). */
  peekRequestId(frame: string | ArrayBuffer): string | undefined;
  /**
   * The frame that tells a client of `event` (a `disconnect` is the host's to carry out, never encoded), or
   * undefined when this protocol has no way to say it and its clients expect silence.
   */
  encode(event: Exclude<RoomEvent, { type: "disconnect" }>): string | undefined;
  /**
   * For a protocol whose clients register by connecting (PeerJS's `?id=&token=`): the registration the connection
   * asks for, or how to refuse it before it is accepted.
   */
  connect?(query: URLSearchParams): { register: Extract<RoomCommand, { type: "register" }> } | { refusal: Refusal };
}
