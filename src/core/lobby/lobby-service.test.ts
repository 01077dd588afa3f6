import { describe, expect, it } from "vitest";
import { memoryFront } from "../../../test/helpers/memory-host.js";
import { lobbyObjectName, lobbyOfRoom, lobbySize, parseLobbyObjectName } from "./lobby-name.js";
import { LobbyService, type LobbyState } from "./lobby-service.js";

const lobby = (size = 2) =>
  memoryFront<LobbyState>((outlet) => new LobbyService(outlet), { name: lobbyObjectName("chess", size) });

describe("a lobby", () => {
  it("puts the first `size` arrivals in one room, the next ones in another, and closes them once matched", () => {
    const { connect } = lobby(2);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => connect(name));
    expect(a?.sent[0]).toEqual({ type: "lobby", lobby: "chess", size: 2, waiting: 1 });
    const first = a?.last();
    expect(first).toEqual({ type: "matched", room: expect.stringMatching(/^chess-[a-z0-9]{16}$/), size: 2 });
    expect(b?.last()).toEqual(first);
    expect([a?.closedWith, b?.closedWith]).toEqual([1000, 1000]);
    expect(c?.last().room).not.toBe(first.room);
    expect(d?.last()).toEqual(c?.last());
    expect(lobbyOfRoom(first.room)).toBe("chess");
  });

  it("frees the place of one who leaves before the group is full, telling the others", () => {
    const { connect, close } = lobby(3);
    const a = connect("a");
    const b = connect("b");
    expect(a.last()).toMatchObject({ type: "lobby", waiting: 2 });
    close(b, 1001);
    expect(a.last()).toMatchObject({ type: "lobby", waiting: 1 });
    const c = connect("c");
    const d = connect("d");
    expect([a, c, d].map((x) => x.last().type)).toEqual(["matched", "matched", "matched"]);
    expect(b.sent.some((m) => m.type === "matched")).toBe(false);
  });

  it("keeps its groups across a wake, from each socket's attachment", () => {
    const before = lobby(2);
    const a = before.connect("a");
    const room = a.saved?.state?.room;
    expect(room).toMatch(/^chess-/);
    const woken = lobby(2);
    woken.restore(a);
    const b = woken.connect("b");
    expect(b.last()).toEqual({ type: "matched", room, size: 2 });
    expect(a.last()).toMatchObject({ type: "matched" });
  });

  it("answers anything but a ping with an error, and a ping with a pong", () => {
    const { connect, send } = lobby(2);
    const a = connect("a");
    send(a, { type: "ping", request_id: "p" });
    expect(a.last()).toEqual({ type: "pong", request_id: "p" });
    send(a, { type: "register", peer_id: "x" });
    expect(a.last()).toMatchObject({ type: "error", code: "unknown_type" });
  });

  it("names its object after the lobby and size, and asks for a size from 2 to 16", () => {
    expect(parseLobbyObjectName("chess.v2.4")).toEqual({ lobby: "chess.v2", size: 4 });
    expect(lobbySize("4")).toBe(4);
    expect(lobbySize(null)).toBe(2);
    expect(lobbySize("1")).toMatch(/2 to 16/);
    expect(lobbySize("17")).toMatch(/2 to 16/);
    expect(lobbySize("2.5")).toMatch(/whole number/);
    expect(lobbyOfRoom("chess")).toBeUndefined();
  });
});
