/**
 * The connection front over connections that are plain objects, for tests of the core: every frame sent is parsed
 * back into `sent`, closes and attachments are recorded, and time is a number the test moves. `memoryHost` puts the
 * room behind it; `memoryFront` any service (topics, swarms).
 */

import { DEFAULT_LIMITS, type Limits } from "../../src/core/config/limits.js";
import type { Attachment } from "../../src/core/connection/attachment.js";
import { ConnectionFront, type Identity } from "../../src/core/connection/front.js";
import type { Outlet, Service } from "../../src/core/connection/service.js";
import type { Transport } from "../../src/core/connection/transport.js";
import { seedCodec } from "../../src/core/protocols/seed/codec.js";
import type { Codec } from "../../src/core/room/codec.js";
import { MemoryReservationStore } from "../../src/core/room/reservations.js";
import { RoomService, type RoomState } from "../../src/core/room/room-service.js";

// biome-ignore lint/suspicious/noExplicitAny: what tests read back is whatever the server sent
type Sent = any;

export class MemoryConn<S = RoomState> {
  sent: Sent[] = [];
  closedWith: number | undefined;
  saved: Attachment<S> | undefined;
  /** When the runtime last answered a keepalive for it, if a test says so. */
  pong: number | undefined;
  constructor(readonly name: string) {}
  last(): Sent {
    return this.sent.at(-1);
  }
}

export interface MemoryFrontOptions {
  limits?: Partial<Limits>;
  startAt?: number;
  transport?: Partial<Transport<MemoryConn<never>>>;
  /** The object's name, as the host knows it ("" when it does not). */
  name?: string;
}

export function memoryFront<S>(
  service: (outlet: Outlet<MemoryConn<S>, S>) => Service<MemoryConn<S>, S>,
  options: MemoryFrontOptions = {},
) {
  type Conn = MemoryConn<S>;
  const clock = { now: options.startAt ?? 1_000_000 };
  const schedule: Array<number | undefined> = [];
  const connections: Conn[] = [];
  const front = new ConnectionFront<Conn, S>({
    service,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    name: options.name ?? "r",
    now: () => clock.now,
    transport: {
      send: (c, text) => {
        if (c.closedWith !== undefined) return false;
        c.sent.push(JSON.parse(text));
        return true;
      },
      close: (c, code) => {
        c.closedWith = code;
      },
      save: (c, attachment) => {
        c.saved = attachment as Attachment<S>;
      },
      connections: () => connections.filter((c) => c.closedWith === undefined),
      lastAutoResponse: (c) => c.pong,
      schedule: (at) => schedule.push(at),
      ...(options.transport as Partial<Transport<Conn>>),
    },
  });
  /** A refused connection is closed at once: with the frame's code, or with the HTTP status a host would answer. */
  const connect = (name: string, identity: Identity = {}, query = "") => {
    const c = new MemoryConn<S>(name);
    const params = new URLSearchParams(query);
    const refusal = front.admit(identity.address, params);
    if (refusal?.kind === "frame") {
      c.sent.push(JSON.parse(refusal.frame));
      c.closedWith = refusal.code;
    } else if (refusal) {
      c.sent.push({ type: "http", status: refusal.status, code: refusal.code });
      c.closedWith = refusal.status;
    } else {
      connections.push(c);
      front.open(c, identity, params);
    }
    return c;
  };
  /** Takes back `socket` as a woken object does, from the attachment it carries. */
  const restore = (socket: Conn) => {
    connections.push(socket);
    front.restore(socket, socket.saved);
  };
  const send = (c: Conn, message: unknown) => front.message(c, JSON.stringify(message));
  const tick = (ms: number) => {
    clock.now += ms;
  };
  /** The client ends the connection with `code`, and the host reports it. */
  const close = (c: Conn, code: number) => {
    c.closedWith ??= code;
    front.closed(c, code);
  };
  return { front, schedule, clock, connections, connect, restore, send, tick, close };
}

export interface MemoryHostOptions extends MemoryFrontOptions {
  /** The wire protocol; the seed protocol's by default. */
  codec?: Codec;
  /** The room's storage: another host's, to start over what it left (a crash keeps storage, not connections). */
  store?: MemoryReservationStore;
  persistRegistrations?: boolean;
}

export function memoryHost(options: MemoryHostOptions = {}) {
  const store = options.store ?? new MemoryReservationStore();
  /** How often the room said it emptied. */
  const emptied = { count: 0 };
  let service: RoomService<MemoryConn> | undefined;
  const host = memoryFront<RoomState>((outlet) => {
    service = new RoomService(outlet, {
      codec: options.codec ?? seedCodec,
      revisionStore: { load: () => 0, save: () => {} },
      reservationStore: store,
      persistRegistrations: options.persistRegistrations,
      onEmpty: () => emptied.count++,
    });
    return service;
  }, options);
  const register = (name: string, extra: Record<string, unknown> = {}) => {
    const c = host.connect(name);
    host.send(c, { type: "register", peer_id: name, ...extra });
    return c;
  };
  const tokenOf = (c: MemoryConn): string => c.sent.find((m) => m.type === "registered")?.resume_token;
  return {
    ...host,
    get room() {
      return (service as RoomService<MemoryConn>).room;
    },
    store,
    register,
    tokenOf,
    emptied,
  };
}
