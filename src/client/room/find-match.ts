/**
 * A lobby that matches players: wait in `/lobbies/<name>?size=N` until N peers are there, and learn the room the
 * group was given. The first N arrivals share a room, the next ones form a new one; one who leaves before its group
 * is full frees its place. The room's name is random, so that nobody outside the group finds it.
 */
import { SUBPROTOCOL } from "../../core/wire/protocol.js";
import type { SignalingClientOptions } from "../client-options.js";
import type { WebSocketConstructor } from "../websocket.js";
import { RoomError } from "./room-error.js";

export interface FindMatchOptions {
  url: string;
  lobby: string;
  /** How many peers make a match (2 to `MAX_LOBBY_SIZE` on the server, 16 by default). */
  size: number;
  token?: SignalingClientOptions["token"];
  WebSocket?: WebSocketConstructor;
  /** Each time the number waiting in the group changes: `waiting` of `size`. */
  onWaiting?: (progress: { waiting: number; size: number }) => void;
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The lobby's URL: `base` with `/lobbies/<lobby>?size=<size>`, http(s) turned into ws(s). */
export function lobbyUrl(base: string, lobby: string, size: number): string {
  const url = new URL(base);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  url.pathname = `/lobbies/${encodeURIComponent(lobby)}`;
  url.search = `?size=${size}`;
  return url.toString();
}

/** Waits in the lobby until a group of `size` is made; resolves with the room it was given. */
export async function findMatch(options: FindMatchOptions): Promise<string> {
  const { token, signal } = options;
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl) throw new Error("no WebSocket implementation: pass options.WebSocket (on Node 20, `ws`'s)");
  signal?.throwIfAborted();
  const bearer = typeof token === "function" ? await token() : token;
  const url = lobbyUrl(options.url, options.lobby, options.size);
  return new Promise<string>((resolve, reject) => {
    const ws = new WebSocketImpl(url, bearer ? [SUBPROTOCOL, `bearer.${bearer}`] : [SUBPROTOCOL]);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = () => {
      ws.close(1000, "stopped waiting");
      settle(() => reject(signal?.reason));
    };
    signal?.addEventListener("abort", onAbort);
    ws.onmessage = ({ data }) => {
      let message: {
        type?: unknown;
        waiting?: unknown;
        size?: unknown;
        room?: unknown;
        code?: unknown;
        error?: unknown;
      };
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (message.type === "lobby" && typeof message.waiting === "number" && typeof message.size === "number") {
        options.onWaiting?.({ waiting: message.waiting, size: message.size });
      } else if (message.type === "matched" && typeof message.room === "string") {
        const room = message.room;
        settle(() => resolve(room));
        ws.close(1000, "matched");
      } else if (message.type === "error" && typeof message.code === "string") {
        const error = new RoomError(message.code as RoomError["code"], String(message.error ?? message.code));
        settle(() => reject(error));
        ws.close(1000, "refused");
      }
    };
    ws.onclose = ({ code }) => {
      settle(() => reject(new RoomError("lobby_closed", `the lobby's connection closed (${code}) before a match`)));
    };
    ws.onerror = () => undefined;
  });
}
