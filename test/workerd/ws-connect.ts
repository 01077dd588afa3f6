/**
 * WebSocket clients for tests in workerd, connected through the Worker's own fetch handler. `await ws.next()`
 * reads the next server message and `await waitFor(...)` waits for a condition over what arrived, so tests await
 * events instead of sleeping.
 */
import { exports } from "cloudflare:workers";
import type { ClientMessage, ServerMessage } from "../../src/protocol.js";

export interface TestSocket {
  readonly ws: WebSocket;
  /** Every message received so far, read or not. */
  readonly received: readonly ServerMessage[];
  send(message: ClientMessage | Record<string, unknown>): void;
  sendRaw(frame: string | ArrayBuffer): void;
  /** The next unread message from the server; rejects after `timeoutMs`, saying what was awaited. */
  next(timeoutMs?: number): Promise<ServerMessage>;
  /** Resolves with the close code once the server has closed the socket or answered our close. */
  closed(): Promise<number>;
  close(code?: number, reason?: string): void;
}

const open = new Set<WebSocket>();
const conditions = new Set<() => void>();

/** Waits until `check()` holds, re-checking whenever any test socket receives a message or closes. */
export function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conditions.delete(recheck);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const recheck = () => {
      if (!check()) return;
      clearTimeout(timer);
      conditions.delete(recheck);
      resolve();
    };
    conditions.add(recheck);
  });
}

export async function wsConnect(path = "/rooms/test"): Promise<TestSocket> {
  const response = await exports.default.fetch(`http://signal.test${path}`, { headers: { Upgrade: "websocket" } });
  const ws = response.webSocket;
  if (!ws)
    throw new Error(`expected a WebSocket upgrade on ${path}, got HTTP ${response.status}: ${await response.text()}`);
  ws.accept();
  open.add(ws);
  const received: ServerMessage[] = [];
  let cursor = 0;
  let wake: (() => void) | undefined;
  let closeCode: number | undefined;
  const onClose: Array<(code: number) => void> = [];
  ws.addEventListener("message", (event: MessageEvent) => {
    received.push(JSON.parse(String(event.data)) as ServerMessage);
    wake?.();
    for (const recheck of [...conditions]) recheck();
  });
  ws.addEventListener("close", (event: CloseEvent) => {
    open.delete(ws);
    closeCode = event.code;
    for (const resolve of onClose.splice(0)) resolve(event.code);
    for (const recheck of [...conditions]) recheck();
  });
  return {
    ws,
    received,
    send: (message) => ws.send(JSON.stringify(message)),
    sendRaw: (frame) => ws.send(frame),
    async next(timeoutMs = 5_000) {
      if (cursor >= received.length) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no message from the server within ${timeoutMs} ms`)),
            timeoutMs,
          );
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
        });
      }
      const message = received[cursor++];
      if (!message) throw new Error("message queue out of step");
      return message;
    },
    closed() {
      if (closeCode !== undefined) return Promise.resolve(closeCode);
      return new Promise((resolve) => onClose.push(resolve));
    },
    close: (code = 1000, reason = "test done") => ws.close(code, reason),
  };
}

/** Connects and registers in one step; the `registered` answer is already read. */
export async function registered(
  peerId: string,
  room: string,
  extra: Record<string, unknown> = {},
): Promise<TestSocket> {
  const socket = await wsConnect(`/rooms/${room}`);
  socket.send({ type: "register", peer_id: peerId, ...extra });
  const answer = await socket.next();
  if (answer.type !== "registered") throw new Error(`register ${peerId} failed: ${JSON.stringify(answer)}`);
  return socket;
}

/**
 * Registers `peerId` in `room` once the room lets it, retrying while it answers `refusal`: a closed socket is
 * removed by the room asynchronously, after the client has seen its close.
 */
export async function registerEventually(peerId: string, room: string, refusal: string): Promise<TestSocket> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const socket = await wsConnect(`/rooms/${room}`);
    socket.send({ type: "register", peer_id: peerId });
    const answer = await socket.next();
    if (answer.type === "registered") return socket;
    if (answer.type !== "error" || answer.code !== refusal)
      throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
  }
  throw new Error(`${peerId} was still refused with ${refusal} after 50 attempts`);
}

/** Closes every socket a test left open, so that no room keeps a peer into the next test. */
export function closeAll(): void {
  for (const ws of open) {
    try {
      ws.close(1000, "test over");
    } catch {
      // already closing
    }
  }
  open.clear();
}

let roomCounter = 0;
/** A room name no other test uses. */
export function freshRoom(label: string): string {
  return `${label}-${Date.now().toString(36)}-${roomCounter++}`;
}
