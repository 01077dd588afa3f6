/**
 * The pipeline over connections that are plain objects, for tests of the core: every frame sent is parsed back
 * into `sent`, closes and saved state are recorded, and time is a number the test moves.
 */

import { DEFAULT_LIMITS, type Limits } from "../../src/core/config/limits.js";
import type { ConnectionState } from "../../src/core/connection/connection-state.js";
import type { Transport } from "../../src/core/connection/transport.js";
import { seedCodec } from "../../src/core/protocols/seed/codec.js";
import type { Codec } from "../../src/core/room/codec.js";
import { type Identity, Pipeline } from "../../src/core/room/pipeline.js";
import { MemoryReservationStore } from "../../src/core/room/reservations.js";

// biome-ignore lint/suspicious/noExplicitAny: what tests read back is whatever the server sent
type Sent = any;

export class MemoryConn {
  sent: Sent[] = [];
  closedWith: number | undefined;
  saved: ConnectionState | undefined;
  /** When the runtime last answered a keepalive for it, if a test says so. */
  pong: number | undefined;
  constructor(readonly name: string) {}
  last(): Sent {
    return this.sent.at(-1);
  }
}

export interface MemoryHostOptions {
  limits?: Partial<Limits>;
  /** The wire protocol; the seed protocol's by default. */
  codec?: Codec;
  startAt?: number;
  transport?: Partial<Transport<MemoryConn>>;
}

export function memoryHost(options: MemoryHostOptions = {}) {
  const clock = { now: options.startAt ?? 1_000_000 };
  const store = new MemoryReservationStore();
  const schedule: Array<number | undefined> = [];
  const connections: MemoryConn[] = [];
  /** How often the room said it emptied. */
  const emptied = { count: 0 };
  const pipeline = new Pipeline<MemoryConn>({
    codec: options.codec ?? seedCodec,
    revisionStore: { load: () => 0, save: () => {} },
    reservationStore: store,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    roomName: "r",
    now: () => clock.now,
    onEmpty: () => emptied.count++,
    transport: {
      send: (c, text) => {
        if (c.closedWith !== undefined) return false;
        c.sent.push(JSON.parse(text));
        return true;
      },
      close: (c, code) => {
        c.closedWith = code;
      },
      save: (c, state) => {
        c.saved = state;
      },
      countConnections: () => connections.filter((c) => c.closedWith === undefined).length,
      lastAutoResponse: (c) => c.pong,
      schedule: (at) => schedule.push(at),
      ...options.transport,
    },
  });
  /** A refused connection is closed at once: with the frame's code, or with the HTTP status a host would answer. */
  const connect = (name: string, identity: Identity = {}) => {
    const c = new MemoryConn(name);
    const refusal = pipeline.admit(identity.address);
    if (refusal?.kind === "frame") {
      c.sent.push(JSON.parse(refusal.frame));
      c.closedWith = refusal.code;
    } else if (refusal) {
      c.sent.push({ type: "http", status: refusal.status, code: refusal.code });
      c.closedWith = refusal.status;
    } else pipeline.open(c, identity);
    connections.push(c);
    return c;
  };
  const send = (c: MemoryConn, message: Record<string, unknown>) => pipeline.message(c, JSON.stringify(message));
  const register = (name: string, extra: Record<string, unknown> = {}) => {
    const c = connect(name);
    send(c, { type: "register", peer_id: name, ...extra });
    return c;
  };
  const tokenOf = (c: MemoryConn): string => c.sent.find((m) => m.type === "registered")?.resume_token;
  const tick = (ms: number) => {
    clock.now += ms;
  };
  return { pipeline, store, schedule, clock, connections, connect, send, register, tokenOf, tick, emptied };
}
