import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../../src/protocol.js";
import { freshRoom, registered } from "./ws-connect.js";

const revOf = (message: ServerMessage) => ("rev" in message ? message.rev : Number.NaN);

describe("presence", () => {
  it("tells subscribers of joins and leaves, each revision one past the last", async () => {
    const room = freshRoom("presence");
    const watcher = await registered("watcher", room, { presence: true });
    const base = revOf(watcher.received[0] as ServerMessage);

    const alice = await registered("alice", room);
    const joined = await watcher.next();
    expect(joined).toEqual({ type: "peer_joined", peer_id: "alice", rev: base + 1 });

    alice.close();
    expect(await watcher.next()).toEqual({ type: "peer_left", peer_id: "alice", rev: base + 2 });
  });

  it("sends nothing to peers that did not subscribe", async () => {
    const room = freshRoom("presence");
    const quiet = await registered("quiet", room);
    const other = await registered("other", room);
    other.close();
    await other.closed();
    quiet.send({ type: "list_peers" });
    expect(await quiet.next()).toMatchObject({ type: "peers", peers: [] });
  });
});
