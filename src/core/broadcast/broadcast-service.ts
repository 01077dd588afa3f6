/**
 * Topics and swarms behind the connection front, for the protocols that fan a message out to a group rather than
 * relay it to one peer id (y-webrtc's topics, WebSocket trackers' swarms): each frame decoded by the protocol, handed
 * to its state machine, each event encoded once however many receive it, its fan-out charged to its sender, and
 * what each connection holds saved with it. The same front, limits and budgets as the room's.
 */
import type { Limits } from "../config/limits.js";
import type { Departure, FrontErrorCode, Outlet, Service } from "../connection/service.js";

/** The errors the front and this service say, whatever each protocol calls them. */
export type BroadcastErrorCode = FrontErrorCode | "target_busy";

/** A protocol served by `BroadcastService`: its codec and its state machine, one per namespace. */
export interface BroadcastProtocol<C, Command, Event extends object, S> {
  readonly name: string;
  /** Its clients heartbeat on their own (y-webrtc pings every 15 s). */
  readonly heartbeats: boolean;
  decode(
    frame: string | ArrayBuffer,
    limits: Pick<Limits, "maxMessageBytes" | "maxJsonDepth">,
  ): { ok: true; command: Command } | { ok: false; error: Event };
  /** The frame for `event`, or undefined when the protocol says nothing. */
  encode(event: Event): string | undefined;
  error(code: BroadcastErrorCode, message: string): Event;
  /** `passed`: an event to the sender that is another peer's message, not an answer to its own (see `#deliver`). */
  handle(connection: C, command: Command): Array<{ to: C; event: Event; passed?: boolean }>;
  leave(connection: C): void;
  /** What to keep with the connection after `command`, or undefined when it changed nothing kept. */
  stateAfter(connection: C, command: Command): S | undefined;
  /** Other connections whose kept state the last command changed, with that state (a tracker's waiting offers). */
  touched?(): Array<{ connection: C; state: S }>;
  restore(connection: C, state: S): void;
  /** The connection has joined (it counts as registered for the register timeout). */
  joins(command: Command): boolean;
  /** Extra messages of the sender's rate that `command`, fanned out to `receivers`, costs. */
  charge(command: Command, receivers: number): number;
  parseState(value: unknown): S | undefined;
  stats(): Record<string, number>;
}

/** One message to this many receivers costs its sender one more message of its rate. */
export const FANOUT_PER_TOKEN = 50;

export class BroadcastService<C extends object, Command, Event extends object, S> implements Service<C, S> {
  readonly protocol: string;
  readonly heartbeats: boolean;
  readonly #protocol: BroadcastProtocol<C, Command, Event, S>;
  readonly #outlet: Outlet<C, S>;

  constructor(outlet: Outlet<C, S>, protocol: BroadcastProtocol<C, Command, Event, S>) {
    this.#outlet = outlet;
    this.#protocol = protocol;
    this.protocol = protocol.name;
    this.heartbeats = protocol.heartbeats;
  }

  message(connection: C, frame: string | ArrayBuffer): void {
    const protocol = this.#protocol;
    const decoded = protocol.decode(frame, this.#outlet.limits);
    if (!decoded.ok) {
      this.#reply(connection, decoded.error);
      return;
    }
    const command = decoded.command;
    const out = protocol.handle(connection, command);
    const delivered = this.#deliver(connection, out);
    if (protocol.joins(command)) this.#outlet.registered(connection);
    const state = protocol.stateAfter(connection, command);
    if (state !== undefined) this.#outlet.save(connection, state);
    for (const other of protocol.touched?.() ?? []) this.#outlet.save(other.connection, other.state);
    // A message to many costs its sender more of its rate: its fan-out is the server's work.
    this.#outlet.charge(connection, protocol.charge(command, delivered));
  }

  refusalFrame(code: FrontErrorCode, message: string): string | undefined {
    return this.#protocol.encode(
      this.#protocol.error(code, code === "room_full" ? `this namespace is ${message}` : message),
    );
  }

  peekRequestId(): undefined {
    return undefined;
  }

  parseState(value: unknown): S | undefined {
    return this.#protocol.parseState(value);
  }

  restore(connection: C, state: S | undefined): void {
    if (state !== undefined) this.#protocol.restore(connection, state);
  }

  gone(connection: C, _how: Departure): void {
    this.#protocol.leave(connection);
  }

  stats(): Record<string, number> {
    return this.#protocol.stats();
  }

  /**
   * Hands each event out, encoded once however many receive it. What goes to others on the sender's behalf is first
   * charged to its byte rate (the whole fan-out, refused whole if it cannot pay); a receiver that cannot take more
   * is skipped, and the sender told once. Another peer's message passed to the sender (`passed`) is sent like one
   * to others, within its receive budget, so that others cannot overdraw it (a reply may, and closes its asker).
   * Returns how many received something.
   */
  #deliver(sender: C, out: Array<{ to: C; event: Event; passed?: boolean }>): number {
    let delivered = 0;
    let busy = 0;
    for (let i = 0; i < out.length; ) {
      const event = (out[i] as { event: Event }).event;
      let end = i;
      let others = 0;
      while (end < out.length && (out[end] as { event: Event }).event === event) {
        if ((out[end] as { to: C }).to !== sender) others++;
        end++;
      }
      const text = this.#protocol.encode(event);
      const refusal = text === undefined || others === 0 ? undefined : this.#outlet.spend(sender, text.length * others);
      if (refusal !== undefined) {
        this.#outlet.meter.error("rate_limited");
        this.#reply(sender, this.#protocol.error("rate_limited", refusal));
      } else if (text !== undefined) {
        for (let j = i; j < end; j++) {
          const { to, passed } = out[j] as { to: C; passed?: boolean };
          const handed = this.#outlet.send(to, text, to === sender && !passed ? "reply" : "event");
          if (handed === "sent") {
            delivered++;
            if (to !== sender || passed) this.#outlet.meter.relaysDelivered++;
          } else if (handed === "busy" && to !== sender) busy++;
        }
      }
      i = end;
    }
    if (busy > 0) {
      const why = `${busy} receiver(s) are being sent more than they read and did not get this message; try again later`;
      this.#outlet.meter.error("target_busy");
      this.#reply(sender, this.#protocol.error("target_busy", why));
    }
    return delivered;
  }

  #reply(connection: C, event: Event): void {
    const text = this.#protocol.encode(event);
    if (text !== undefined) this.#outlet.send(connection, text, "reply");
  }
}
