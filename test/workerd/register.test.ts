import { describe, expect, it } from "vitest";
import { freshRoom, registerEventually, registered, wsConnect } from "./ws-connect.js";

describe("register", () => {
  it("answers with registered, the other peers and the revision, echoing request_id", async () => {
    const room = freshRoom("reg");
    await registered("alice", room);
    const bob = await wsConnect(`/rooms/${room}`);
    bob.send({ type: "register", peer_id: "bob", request_id: "r-1" });
    expect(await bob.next()).toEqual({
      type: "registered",
      peer_id: "bob",
      peers: ["alice"],
      rev: expect.any(Number),
      request_id: "r-1",
    });
  });

  it("is idempotent for the same id on the same socket", async () => {
    const room = freshRoom("reg");
    const alice = await registered("alice", room);
    alice.send({ type: "register", peer_id: "alice" });
    expect(await alice.next()).toMatchObject({ type: "registered", peer_id: "alice", peers: [] });
  });

  it("refuses a different id on a registered socket with already_registered", async () => {
    const alice = await registered("alice", freshRoom("reg"));
    alice.send({ type: "register", peer_id: "alice-2", request_id: "x" });
    expect(await alice.next()).toMatchObject({ type: "error", code: "already_registered", request_id: "x" });
  });

  it("refuses an id held by another live socket with peer_id_taken; the holder keeps it", async () => {
    const room = freshRoom("reg");
    const holder = await registered("alice", room);
    const bob = await registered("bob", room);
    const impostor = await wsConnect(`/rooms/${room}`);
    impostor.send({ type: "register", peer_id: "alice" });
    expect(await impostor.next()).toMatchObject({ type: "error", code: "peer_id_taken" });
    bob.send({ type: "relay", to: "alice", data: "for the holder" });
    expect(await holder.next()).toEqual({ type: "relay", from: "bob", data: "for the holder" });
  });

  it("refuses a malformed id with invalid_peer_id", async () => {
    const socket = await wsConnect(`/rooms/${freshRoom("reg")}`);
    socket.send({ type: "register", peer_id: "no spaces allowed" });
    expect(await socket.next()).toMatchObject({ type: "error", code: "invalid_peer_id" });
  });

  it("lets the id be taken again once its holder has closed", async () => {
    const room = freshRoom("reg");
    const first = await registered("alice", room);
    first.close();
    await first.closed();
    await registerEventually("alice", room, "peer_id_taken");
  });
});

describe("list_peers", () => {
  it("lists the room's peers without the caller, and works before registering", async () => {
    const room = freshRoom("list");
    const alice = await registered("alice", room);
    await registered("bob", room);
    alice.send({ type: "list_peers", request_id: "l" });
    expect(await alice.next()).toEqual({ type: "peers", peers: ["bob"], rev: expect.any(Number), request_id: "l" });
    const observer = await wsConnect(`/rooms/${room}`);
    observer.send({ type: "list_peers" });
    expect(await observer.next()).toMatchObject({ type: "peers", peers: ["alice", "bob"] });
  });
});
