/** Lobbies through the Worker: `/lobbies/<name>?size=N` groups arrivals, and the room it gives out is a room. */
import { describe, expect, it } from "vitest";
import { freshRoom, registered, waitFor, wsConnect } from "./ws-connect.js";

describe("lobbies", () => {
  it("match the first `size` arrivals into one room, tell each how many wait, and close them", async () => {
    const name = freshRoom("chess");
    const a = await wsConnect(`/lobbies/${name}?size=3`);
    expect(await a.next()).toEqual({ type: "lobby", lobby: name, size: 3, waiting: 1 });
    const b = await wsConnect(`/lobbies/${name}?size=3`);
    expect(await a.next()).toMatchObject({ waiting: 2 });
    const c = await wsConnect(`/lobbies/${name}?size=3`);
    const matched = await c.next();
    expect(matched).toEqual({
      type: "matched",
      room: expect.stringMatching(new RegExp(`^${name}-[a-z0-9]{16}$`)),
      size: 3,
    });
    await waitFor(
      () => [a, b].every((s) => s.received.some((m) => (m as { type: string }).type === "matched")),
      "everyone matched",
    );
    expect(await c.closed()).toBe(1000);
    // The room is an ordinary room: the group meets there.
    const room = (matched as unknown as { room: string }).room;
    await registered("alice", room);
    const bob = await registered("bob", room);
    expect(bob.received[0]).toMatchObject({ type: "registered", peers: ["alice"] });
  });

  it("keep groups of another size apart", async () => {
    const name = freshRoom("mixed");
    const pair = await wsConnect(`/lobbies/${name}?size=2`);
    await pair.next();
    const trio = await wsConnect(`/lobbies/${name}?size=3`);
    expect(await trio.next()).toMatchObject({ type: "lobby", size: 3, waiting: 1 });
  });

  it("refuse a size that is not 2 to 16, and a name that is no lobby's, before reaching any object", async () => {
    for (const path of ["/lobbies/chess?size=1", "/lobbies/chess?size=17", "/lobbies/chess?size=two"]) {
      await expect(wsConnect(path)).rejects.toThrow(/HTTP 400.*size must be a whole number from 2 to 16/);
    }
    await expect(wsConnect(`/lobbies/${"x".repeat(41)}`)).rejects.toThrow(/HTTP 400.*lobby name/);
  });
});
