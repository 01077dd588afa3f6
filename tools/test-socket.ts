/**
 * One WebSocket client for tests and benchmarks, whatever opened the socket (workerd's fetch in the Workers test
 * pool, the `ws` package in Node): `await socket.next()` reads the next message and `await waitFor(...)` waits for
 * a condition over what arrived on any socket, so tests await events instead of sleeping. Platform-free: the
 * host-specific opening lives in test/workerd/ws-connect.ts and tools/ws-node.ts.
 */
import type { ClientMessage, ServerMessage } from "../src/core/wire/protocol.js";

/** What a host's socket must let the helper do. */
export interface SocketDriver {
  send(frame: string | ArrayBuffer): void;
  /** Without a code, a Close frame with no status (the server sees 1005). */
  close(code?: number, reason?: string): void;
  /** Ends the connection without a Close frame, as a dropped network does (the server sees 1006). */
  terminate?(): void;
  /** Sends a WebSocket protocol ping (answered by the runtime; the object never sees it). */
  ping?(): void;
}

export interface TestSocketOptions<M> {
  /** Keep every message in `received` (tests); a benchmark that only counts turns it off. */
  retain?: boolean;
  /** Turns a text frame into a message; JSON by default. */
  decode?: (text: string) => M;
  /**
   * Called for every message from the first on. Set here rather than later: a server that speaks first (PeerJS's
   * OPEN) can have its first frame arrive in the same tick as the socket opens.
   */
  onMessage?: (message: M) => void;
  /** Called once the socket has closed, with its code. */
  onClose?: (code: number) => void;
}

const conditions = new Set<() => void>();
const open = new Set<{ close(code: number, reason: string): void }>();

/** Waits until `check()` holds, re-checking whenever any test socket receives a message or closes. */
export function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const recheck = () => {
      if (!check()) return;
      clearTimeout(timer);
      conditions.delete(recheck);
      resolve();
    };
    const timer = setTimeout(() => {
      conditions.delete(recheck);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    conditions.add(recheck);
  });
}

function recheckAll(): void {
  for (const recheck of [...conditions]) recheck();
}

export class TestSocket<M = ServerMessage> {
  /** Every message received so far, read or not (empty when `retain` is off). */
  readonly received: M[] = [];
  /** Called for every message, retained or not. */
  onMessage: (message: M) => void = () => {};
  #cursor = 0;
  #closeCode: number | undefined;
  readonly #retain: boolean;
  readonly #decode: (text: string) => M;
  readonly #onClose: ((code: number) => void) | undefined;

  constructor(
    private readonly driver: SocketDriver,
    options: TestSocketOptions<M> = {},
  ) {
    this.#retain = options.retain ?? true;
    this.#decode = options.decode ?? ((text) => JSON.parse(text));
    if (options.onMessage) this.onMessage = options.onMessage;
    this.#onClose = options.onClose;
    open.add(this);
  }

  /** For the driver: a text frame arrived. */
  deliver(text: string): void {
    const message = this.#decode(text);
    if (this.#retain) this.received.push(message);
    this.onMessage(message);
    recheckAll();
  }

  /** For the driver: the socket closed with `code`. */
  ended(code: number): void {
    if (this.#closeCode !== undefined) return;
    this.#closeCode = code;
    open.delete(this);
    this.#onClose?.(code);
    recheckAll();
  }

  get closeCode(): number | undefined {
    return this.#closeCode;
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.driver.send(JSON.stringify(message));
  }

  sendRaw(frame: string | ArrayBuffer): void {
    this.driver.send(frame);
  }

  /** The next unread message; rejects after `timeoutMs`, saying what was awaited. */
  async next(timeoutMs = 5_000): Promise<M> {
    await waitFor(() => this.received.length > this.#cursor, "the next message from the server", timeoutMs);
    const message = this.received[this.#cursor++];
    if (message === undefined) throw new Error("message queue out of step");
    return message;
  }

  /** Resolves with the close code once the server has closed the socket or answered our close. */
  async closed(timeoutMs = 10_000): Promise<number> {
    await waitFor(() => this.#closeCode !== undefined, "the socket to close", timeoutMs);
    return this.#closeCode as number;
  }

  /** Drops the connection without a Close frame, as a network switch would; a driver that cannot, closes with 4000. */
  drop(): void {
    if (this.driver.terminate) this.driver.terminate();
    else this.driver.close(4000, "dropped");
  }

  /** Sends a WebSocket protocol ping, where the driver can. */
  protocolPing(): void {
    this.driver.ping?.();
  }

  /** Sends a Close frame without a status code, as `ws.close()` with no arguments does. */
  closeWithoutCode(): void {
    this.driver.close();
  }

  close(code = 1000, reason = "test done"): void {
    try {
      this.driver.close(code, reason);
    } catch {
      // already closing
    }
  }
}

/** Closes every socket a test left open, so that no room keeps a peer into the next test. */
export function closeAll(): void {
  for (const socket of [...open]) socket.close(1000, "test over");
  open.clear();
}

/** Registers `socket` as `peerId`; resolves once `registered` has been read, throws on any other answer. */
export async function register(
  socket: TestSocket,
  peerId: string,
  extra: Record<string, unknown> = {},
): Promise<TestSocket> {
  socket.send({ type: "register", peer_id: peerId, ...extra });
  const answer = await socket.next();
  if (answer.type !== "registered") throw new Error(`register ${peerId} failed: ${JSON.stringify(answer)}`);
  return socket;
}

/**
 * Registers `peerId` on a socket from `open` once the room lets it, retrying while it answers `refusal`: a closed
 * socket is removed by the room asynchronously, after the client has seen its close.
 */
export async function registerEventually(
  open: () => Promise<TestSocket>,
  peerId: string,
  refusal: string,
): Promise<TestSocket> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const socket = await open();
    socket.send({ type: "register", peer_id: peerId });
    const answer = await socket.next();
    if (answer.type === "registered") return socket;
    if (answer.type !== "error" || answer.code !== refusal) {
      throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
    }
  }
  throw new Error(`${peerId} was still refused with ${refusal} after 50 attempts`);
}

let roomCounter = 0;
/** A room name no other test uses. */
export function freshRoom(label: string): string {
  return `${label}-${Date.now().toString(36)}-${roomCounter++}`;
}
