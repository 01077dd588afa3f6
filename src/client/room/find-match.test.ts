import { describe, expect, it } from "vitest";
import type { WebSocketLike } from "../websocket.js";
import { findMatch, lobbyUrl } from "./find-match.js";
import { RoomError } from "./room-error.js";

/** A WebSocket the test speaks for: what the lobby would send, and its close. */
class FakeLobbySocket implements WebSocketLike {
  static last: FakeLobbySocket | undefined;
  readyState = 1;
  closedWith: number | undefined;
  onopen = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror = null;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeLobbySocket.last = this;
  }
  send(): void {}
  close(code = 1000): void {
    this.closedWith = code;
  }
  say(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  static async opened(): Promise<FakeLobbySocket> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const socket = FakeLobbySocket.last;
    if (!socket) throw new Error("no socket");
    return socket;
  }
}

const options = { url: "https://signal.example", lobby: "chess", size: 2, WebSocket: FakeLobbySocket };

describe("findMatch", () => {
  it("reports how many wait, resolves with the matched room, and closes the lobby socket", async () => {
    const progress: number[] = [];
    const match = findMatch({ ...options, token: "t0k", onWaiting: ({ waiting }) => progress.push(waiting) });
    const socket = await FakeLobbySocket.opened();
    expect(socket.url).toBe("wss://signal.example/lobbies/chess?size=2");
    expect(socket.protocols).toEqual(["webrtc-signal", "bearer.t0k"]);
    socket.say({ type: "lobby", lobby: "chess", size: 2, waiting: 1 });
    socket.say({ type: "matched", room: "chess-abcdefghijklmnop", size: 2 });
    await expect(match).resolves.toBe("chess-abcdefghijklmnop");
    expect(progress).toEqual([1]);
    expect(socket.closedWith).toBe(1000);
  });

  it("rejects with the lobby's error, or lobby_closed when the socket ends before a match", async () => {
    const refused = findMatch(options);
    (await FakeLobbySocket.opened()).say({ type: "error", code: "unknown_type", error: "no" });
    await expect(refused).rejects.toMatchObject({ code: "unknown_type" });
    const cut = findMatch(options);
    (await FakeLobbySocket.opened()).onclose?.({ code: 1006 });
    await expect(cut).rejects.toBeInstanceOf(RoomError);
    await expect(cut).rejects.toMatchObject({ code: "lobby_closed" });
  });

  it("stops waiting when its signal aborts, leaving the lobby", async () => {
    const controller = new AbortController();
    const waiting = findMatch({ ...options, signal: controller.signal });
    const socket = await FakeLobbySocket.opened();
    controller.abort(new Error("gave up waiting"));
    await expect(waiting).rejects.toThrow("gave up waiting");
    expect(socket.closedWith).toBe(1000);
  });

  it("makes ws(s) URLs of http(s) ones, the lobby's name escaped", () => {
    expect(lobbyUrl("http://localhost:8787", "a.b", 4)).toBe("ws://localhost:8787/lobbies/a.b?size=4");
  });
});
