/**
 * The protocol's conformance suite, written once against a host that can open a WebSocket to a path, and run
 * against every way the server is hosted: the Workers test pool (test/workerd/conformance.test.ts), `npm start`
 * and `npm run serve` (test/node/conformance.test.ts). A new host gets the whole suite by adding one line there.
 * Every case runs in a room of its own, with the default limits.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/core/config/limits.js";
import { PING_TEXT, type ServerMessage } from "../../src/core/wire/protocol.js";
import {
  freshRoom,
  register,
  registerEventually as retryRegister,
  type TestSocket,
  waitFor,
} from "../../tools/test-socket.js";

export interface Host {
  /** Opens a WebSocket to `path` (e.g. `/rooms/lobby`) on the host. */
  connect(path: string): Promise<TestSocket>;
  /**
   * Whether frames sent back to back reach the room in order. False only in the Workers test pool, which wraps
   * each Durable Object handler in an async function and so lets the first messages of a burst overtake each
   * other in the harness, though never in the runtime.
   */
  ordersBursts: boolean;
}

export function conformance(hostName: string, host: Host): void {
  const connect = (room: string) => host.connect(`/rooms/${room}`);

  /** Connects and registers in one step; the `registered` answer is already read. */
  const registered = async (peerId: string, room: string, extra: Record<string, unknown> = {}) =>
    register(await connect(room), peerId, extra);
  const registerEventually = (peerId: string, room: string, refusal: string) =>
    retryRegister(() => connect(room), peerId, refusal);

  describe(`conformance on ${hostName}`, () => {
    describe("register", () => {
      it("answers with registered, the other peers and the revision, echoing request_id", async () => {
        const room = freshRoom("reg");
        await registered("alice", room);
        const bob = await connect(room);
        bob.send({ type: "register", peer_id: "bob", request_id: "r-1" });
        expect(await bob.next()).toEqual({
          type: "registered",
          peer_id: "bob",
          peers: ["alice"],
          rev: expect.any(Number),
          resume_token: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
          acked: 0,
          request_id: "r-1",
        });
      });

      it("is idempotent for the same id on the same socket", async () => {
        const alice = await registered("alice", freshRoom("reg"));
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
        const impostor = await connect(room);
        impostor.send({ type: "register", peer_id: "alice" });
        expect(await impostor.next()).toMatchObject({ type: "error", code: "peer_id_taken" });
        bob.send({ type: "relay", to: "alice", data: "for the holder" });
        expect(await holder.next()).toEqual({
          type: "relay",
          from: "bob",
          data: "for the holder",
          seq: expect.any(Number),
        });
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
        const observer = await connect(room);
        observer.send({ type: "list_peers" });
        expect(await observer.next()).toMatchObject({ type: "peers", peers: ["alice", "bob"] });
      });
    });

    describe("relay", () => {
      it("delivers data unchanged, stamped with the sender's registered id", async () => {
        const room = freshRoom("relay");
        const alice = await registered("alice", room);
        const bob = await registered("bob", room);
        const data = {
          type: "offer",
          sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n",
          n: [1, 2.5, null, true],
          s: "é ✓ 🎉",
        };
        alice.send({ type: "relay", to: "bob", data, from: "mallory" });
        expect(await bob.next()).toEqual({ type: "relay", from: "alice", data, seq: expect.any(Number) });
      });

      it("refuses a relay from an unregistered socket with not_registered", async () => {
        const room = freshRoom("relay");
        await registered("bob", room);
        const anonymous = await connect(room);
        anonymous.send({ type: "relay", to: "bob", data: 1, request_id: "q" });
        expect(await anonymous.next()).toMatchObject({ type: "error", code: "not_registered", request_id: "q" });
      });

      it("refuses a relay to a peer not in the room with unknown_peer, naming it", async () => {
        const alice = await registered("alice", freshRoom("relay"));
        alice.send({ type: "relay", to: "ghost", data: 1 });
        expect(await alice.next()).toMatchObject({ type: "error", code: "unknown_peer", to: "ghost" });
      });

      // A burst: the Workers test pool may hand its first frames over out of order, which the runtime never does.
      it.runIf(host.ordersBursts)(
        "acks numbered relays cumulatively, and drops one sent again that it already has",
        async () => {
          const room = freshRoom("acks");
          const alice = await registered("alice", room);
          const bob = await registered("bob", room);
          for (let seq = 1; seq <= 16; seq++) alice.send({ type: "relay", to: "bob", seq, data: seq });
          expect(await alice.next()).toEqual({ type: "ack", seq: 16 });
          alice.send({ type: "relay", to: "bob", seq: 16, data: "again" });
          expect(await alice.next()).toEqual({ type: "ack", seq: 16 });
          alice.send({ type: "relay", to: "bob", seq: 17, data: 17 });
          await waitFor(() => bob.received.filter((m) => m.type === "relay").length === 17, "17 relays");
          const data = bob.received.filter((m) => m.type === "relay").map((m) => (m.type === "relay" ? m.data : 0));
          expect(data).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
        },
      );

      it("serves 100 peers connecting at once, relaying in a ring", async () => {
        const room = freshRoom("ring");
        const ids = Array.from({ length: 100 }, (_, i) => `p${i}`);
        const peers = await Promise.all(ids.map((id) => registered(id, room)));
        for (const [i, peer] of peers.entries()) peer.send({ type: "relay", to: ids[(i + 1) % 100], data: { hop: i } });
        const messages = await Promise.all(peers.map((peer) => peer.next()));
        messages.forEach((message, i) => {
          const previous = (i + 99) % 100;
          expect(message).toEqual({
            type: "relay",
            from: ids[previous],
            data: { hop: previous },
            seq: expect.any(Number),
          });
        });
        peers[0]?.send({ type: "list_peers" });
        expect(await peers[0]?.next()).toMatchObject({ peers: expect.arrayContaining(ids.slice(1)) });
      });

      it.runIf(host.ordersBursts)(
        "delivers an instant burst in order, answering each relay over the rate with rate_limited",
        async () => {
          const room = freshRoom("burst");
          const alice = await registered("alice", room);
          const bob = await registered("bob", room);
          const total = 1_000;
          for (let i = 0; i < total; i++) alice.send({ type: "relay", to: "bob", data: i, request_id: `r${i}` });
          const delivered = () => bob.received.slice(1);
          const refused = () => alice.received.slice(1);
          await waitFor(() => delivered().length + refused().length === total, `${total} relays delivered or refused`);

          const seqs = delivered().map((m) => (m.type === "relay" ? Number(m.data) : -1));
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
          expect(seqs.length).toBeGreaterThanOrEqual(DEFAULT_LIMITS.rateBurst);
          expect(refused().every((m) => m.type === "error" && m.code === "rate_limited")).toBe(true);
          const refusedIds = refused().map((m) => (m.type === "error" ? Number(m.request_id?.slice(1)) : -1));
          expect(new Set([...seqs, ...refusedIds]).size).toBe(total);
        },
      );
    });

    describe("errors", () => {
      it.each([
        ["invalid_json", "{not json"],
        ["invalid_message", "[]"],
        ["unknown_type", '{"type":"teleport"}'],
        ["invalid_peer_id", '{"type":"register","peer_id":"bad id"}'],
      ])("answers %s with a code and a human message", async (code, frame) => {
        const socket = await connect(freshRoom("err"));
        socket.sendRaw(frame);
        const answer = await socket.next();
        expect(answer).toMatchObject({ type: "error", code });
        expect(answer.type === "error" && answer.error.length).toBeGreaterThan(10);
      });

      it("answers a binary frame with binary_not_supported", async () => {
        const socket = await connect(freshRoom("err"));
        socket.sendRaw(new Uint8Array([1, 2, 3]).buffer);
        expect(await socket.next()).toMatchObject({ type: "error", code: "binary_not_supported" });
      });

      it("answers a message over the size limit with message_too_large and relays nothing", async () => {
        const room = freshRoom("err");
        const alice = await registered("alice", room);
        const bob = await registered("bob", room);
        alice.send({ type: "relay", to: "bob", data: "x".repeat(DEFAULT_LIMITS.maxMessageBytes) });
        expect(await alice.next()).toMatchObject({ type: "error", code: "message_too_large" });
        alice.send({ type: "relay", to: "bob", data: "small" });
        expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "small", seq: expect.any(Number) });
      });

      it("echoes request_id on errors that can read it", async () => {
        const socket = await connect(freshRoom("err"));
        socket.send({ type: "teleport", request_id: "t-9" });
        expect(await socket.next()).toMatchObject({ code: "unknown_type", request_id: "t-9" });
      });

      it("keeps the connection open after a protocol error, and other peers unaffected", async () => {
        const room = freshRoom("err");
        const alice = await registered("alice", room);
        const bob = await registered("bob", room);
        for (const frame of ["{", "[]", '{"type":"x"}', '{"type":"relay","to":"ghost","data":1}']) alice.sendRaw(frame);
        for (let i = 0; i < 4; i++) expect(await alice.next()).toMatchObject({ type: "error" });
        alice.send({ type: "relay", to: "bob", data: "still here" });
        expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: "still here", seq: expect.any(Number) });
        expect(bob.received.filter((m) => m.type === "error")).toEqual([]);
      });
    });

    describe("presence", () => {
      const revOf = (message: ServerMessage | undefined) => (message && "rev" in message ? message.rev : Number.NaN);

      it("tells subscribers of joins and leaves, each revision one past the last", async () => {
        const room = freshRoom("presence");
        const watcher = await registered("watcher", room, { presence: true });
        const base = revOf(watcher.received[0]);
        const alice = await registered("alice", room);
        expect(await watcher.next()).toEqual({ type: "peer_joined", peer_id: "alice", rev: base + 1 });
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

    describe("peer meta", () => {
      it("goes with peer_joined, and into the lists of those that ask; the others see ids only", async () => {
        const room = freshRoom("meta");
        const watcher = await registered("watcher", room, { presence: true });
        const alice = await registered("alice", room, { meta: { name: "Alice", seat: 2 } });
        expect(await watcher.next()).toMatchObject({ type: "peer_joined", peer_id: "alice", meta: { name: "Alice" } });
        const bob = await registered("bob", room, { with_meta: true });
        expect(bob.received[0]).toMatchObject({
          peers: expect.arrayContaining(["watcher", "alice"]),
          peer_meta: { alice: { name: "Alice", seat: 2 } },
        });
        const seed = await connect(room);
        seed.send({ type: "register", peer_id: "seed" });
        const plain = await seed.next();
        expect(plain).not.toHaveProperty("peer_meta");
        expect(plain).toMatchObject({ peers: expect.arrayContaining(["watcher", "alice", "bob"]) });
        alice.send({ type: "list_peers", with_meta: true });
        expect(await alice.next()).toMatchObject({ type: "peers", peer_meta: {} });
      });

      it("refuses meta over MAX_META_BYTES or MAX_META_DEPTH with invalid_message, registering nothing", async () => {
        const room = freshRoom("meta");
        const big = await connect(room);
        const over = "x".repeat(DEFAULT_LIMITS.maxMetaBytes - 1);
        big.send({ type: "register", peer_id: "big", meta: over, request_id: "m" });
        expect(await big.next()).toMatchObject({ type: "error", code: "invalid_message", request_id: "m" });
        big.send({ type: "register", peer_id: "big", meta: [[[[["deep"]]]]] });
        expect(await big.next()).toMatchObject({ type: "error", code: "invalid_message" });
        big.send({ type: "list_peers" });
        expect(await big.next()).toMatchObject({ type: "peers", peers: [] });
      });
    });

    describe("rooms and connections", () => {
      it("keep the same id apart in two rooms, and never relay across", async () => {
        const [red, blue] = [freshRoom("red"), freshRoom("blue")];
        const aliceRed = await registered("alice", red);
        const aliceBlue = await registered("alice", blue);
        const bobBlue = await registered("bob", blue);
        aliceRed.send({ type: "relay", to: "bob", data: "cross-room" });
        expect(await aliceRed.next()).toMatchObject({ type: "error", code: "unknown_peer" });
        bobBlue.send({ type: "relay", to: "alice", data: "same room" });
        expect(await aliceBlue.next()).toEqual({
          type: "relay",
          from: "bob",
          data: "same room",
          seq: expect.any(Number),
        });
        expect(aliceRed.received.some((m) => m.type === "relay")).toBe(false);
      });

      it("remove a peer when its socket closes", async () => {
        const room = freshRoom("cleanup");
        const watcher = await registered("watcher", room, { presence: true });
        const leaver = await registered("leaver", room);
        expect(await watcher.next()).toMatchObject({ type: "peer_joined", peer_id: "leaver" });
        leaver.close();
        expect(await watcher.next()).toMatchObject({ type: "peer_left", peer_id: "leaver" });
        watcher.send({ type: "relay", to: "leaver", data: 1 });
        expect(await watcher.next()).toMatchObject({ code: "unknown_peer" });
      });

      it("answer the client's close frame, so the client does not hang in CLOSING", async () => {
        const socket = await registered("closer", freshRoom("close"));
        socket.close(4001, "bye");
        expect(await socket.closed()).toBe(4001);
      });

      it("answer a Close frame without a code, so that client does not wait out its close timeout", async () => {
        const socket = await registered("quiet-closer", freshRoom("close"));
        socket.closeWithoutCode();
        expect(await socket.closed(5_000)).not.toBe(1006);
      });

      it("join the room named default on a WebSocket to /", async () => {
        const viaRoot = await host.connect("/");
        const id = `root-${freshRoom("peer")}`;
        viaRoot.send({ type: "register", peer_id: id });
        await viaRoot.next();
        const viaName = await registered(`named-${freshRoom("peer")}`, "default");
        viaName.send({ type: "list_peers" });
        expect(await viaName.next()).toMatchObject({ type: "peers", peers: expect.arrayContaining([id]) });
      });
    });

    describe("keepalive", () => {
      it("answers the exact ping text with the exact pong text", async () => {
        const socket = await connect(freshRoom("ping"));
        socket.sendRaw(PING_TEXT);
        expect(await socket.next()).toEqual({ type: "pong" });
      });

      it("answers a ping carrying a request_id, echoing it", async () => {
        const socket = await connect(freshRoom("ping"));
        socket.send({ type: "ping", request_id: "k1" });
        expect(await socket.next()).toEqual({ type: "pong", request_id: "k1" });
      });
    });
  });
}
