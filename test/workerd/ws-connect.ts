/** Opens a `TestSocket` inside the Workers test pool, through the Worker's own fetch handler. */
import { exports } from "cloudflare:workers";
import { type Attachment, parseAttachment } from "../../src/core/connection/attachment.js";
import type { RoomState } from "../../src/core/room/room-service.js";
import { register, registerEventually as retryRegister, TestSocket } from "../../tools/test-socket.js";

export { closeAll, freshRoom, waitFor } from "../../tools/test-socket.js";

export async function wsConnect(path = "/rooms/test", headers: Record<string, string> = {}): Promise<TestSocket> {
  const response = await exports.default.fetch(`http://signal.test${path}`, {
    headers: { Upgrade: "websocket", ...headers },
  });
  const ws = response.webSocket;
  if (!ws) {
    throw new Error(`expected a WebSocket upgrade on ${path}, got HTTP ${response.status}: ${await response.text()}`);
  }
  ws.accept();
  const socket = new TestSocket({ send: (frame) => ws.send(frame), close: (code, reason) => ws.close(code, reason) });
  ws.addEventListener("message", (event: MessageEvent) => socket.deliver(String(event.data)));
  ws.addEventListener("close", (event: CloseEvent) => socket.ended(event.code));
  return socket;
}

/** Connects to `room` and registers in one step; the `registered` answer is already read. */
export async function registered(peerId: string, room: string, extra: Record<string, unknown> = {}) {
  return register(await wsConnect(`/rooms/${room}`), peerId, extra);
}

export function registerEventually(peerId: string, room: string, refusal: string) {
  return retryRegister(() => wsConnect(`/rooms/${room}`), peerId, refusal);
}

/** The attachment a socket carries in the room, as the front wrote it. */
export function attachmentOf(ws: WebSocket): Attachment<RoomState> | undefined {
  return parseAttachment(ws.deserializeAttachment(), (state) => state as RoomState);
}

/** The peer id registered on a socket, as its attachment says. */
export function peerIdOf(ws: WebSocket): string | undefined {
  return attachmentOf(ws)?.state?.peerId;
}
