/**
 * A WebSocket client for tests in workerd, through the Worker's own fetch handler: `await ws.next()` reads the
 * next server message, so tests await events instead of sleeping.
 */
import { exports } from "cloudflare:workers";
import type { ClientMessage, ServerMessage } from "../../src/protocol.js";

export interface TestSocket {
  readonly ws: WebSocket;
  send(message: ClientMessage | Record<string, unknown>): void;
  sendRaw(frame: string | ArrayBuffer): void;
  /** The next message from the server, parsed; rejects after `timeoutMs` with what was awaited. */
  next(timeoutMs?: number): Promise<ServerMessage>;
  /** Resolves with the close event's code once the server has closed or answered our close. */
  closed(): Promise<number>;
  close(code?: number): void;
  /** Messages received and not yet read. */
  readonly pending: number;
}

export async function wsConnect(path = "/rooms/test"): Promise<TestSocket> {
  const response = await exports.default.fetch(`http://signal.test${path}`, { headers: { Upgrade: "websocket" } });
  const ws = response.webSocket;
  if (!ws)
    throw new Error(`expected a WebSocket upgrade on ${path}, got HTTP ${response.status}: ${await response.text()}`);
  ws.accept();
  const queue: ServerMessage[] = [];
  const waiters: Array<(message: ServerMessage) => void> = [];
  let closeCode: number | undefined;
  const closeWaiters: Array<(code: number) => void> = [];
  ws.addEventListener("message", (event: MessageEvent) => {
    const message = JSON.parse(String(event.data)) as ServerMessage;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  ws.addEventListener("close", (event: CloseEvent) => {
    closeCode = event.code;
    for (const waiter of closeWaiters.splice(0)) waiter(event.code);
  });
  return {
    ws,
    send: (message) => ws.send(JSON.stringify(message)),
    sendRaw: (frame) => ws.send(frame),
    next(timeoutMs = 5_000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no message from the server within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
    },
    closed() {
      if (closeCode !== undefined) return Promise.resolve(closeCode);
      return new Promise((resolve) => closeWaiters.push(resolve));
    },
    close: (code = 1000) => ws.close(code, "test done"),
    get pending() {
      return queue.length;
    },
  };
}

/** Connects and registers in one step; returns the socket with the `registered` answer already read. */
export async function registered(
  peerId: string,
  room = "test",
  extra: Record<string, unknown> = {},
): Promise<TestSocket> {
  const socket = await wsConnect(`/rooms/${room}`);
  socket.send({ type: "register", peer_id: peerId, ...extra });
  const answer = await socket.next();
  if (answer.type !== "registered") throw new Error(`register ${peerId} failed: ${JSON.stringify(answer)}`);
  return socket;
}
