/**
 * A `ws` client for tests in Node: `await socket.next()` reads the next server message and `await waitFor(...)`
 * waits for a condition over what arrived on any socket, so tests await events instead of sleeping.
 */
import WebSocket from "ws";
import type { ClientMessage, ServerMessage } from "../../src/protocol.js";

export interface NodeTestSocket {
  readonly ws: WebSocket;
  /** Every message received so far, read or not. */
  readonly received: ServerMessage[];
  send(message: ClientMessage | Record<string, unknown>): void;
  next(timeoutMs?: number): Promise<ServerMessage>;
  close(): Promise<number>;
}

const conditions = new Set<() => void>();

/** Waits until `check()` holds, re-checking whenever any test socket receives a message. */
export function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
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

export async function connect(url: string): Promise<NodeTestSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const received: ServerMessage[] = [];
  let cursor = 0;
  ws.on("message", (data) => {
    received.push(JSON.parse(String(data)) as ServerMessage);
    for (const recheck of [...conditions]) recheck();
  });
  return {
    ws,
    received,
    send: (message) => ws.send(JSON.stringify(message)),
    async next(timeoutMs = 5_000) {
      await waitFor(() => received.length > cursor, "the next message", timeoutMs);
      return received[cursor++] as ServerMessage;
    },
    close: () =>
      new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve(1000);
        ws.once("close", (code) => resolve(code));
        ws.close(1000, "test done");
      }),
  };
}

export async function registeredAt(url: string, peerId: string): Promise<NodeTestSocket> {
  const socket = await connect(url);
  socket.send({ type: "register", peer_id: peerId });
  const answer = await socket.next();
  if (answer.type !== "registered") throw new Error(`register ${peerId} failed: ${JSON.stringify(answer)}`);
  return socket;
}
