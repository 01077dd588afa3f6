/** The client SDK in Node, against the real server in workerd. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SignalingClient, type SignalingClientOptions, type SignalingError } from "../../src/client/index.js";
import { type LocalWorker, startLocalWorker } from "../../tools/local-worker.js";

let worker: LocalWorker;
const clients: SignalingClient[] = [];
let roomCounter = 0;

beforeAll(async () => {
  worker = await startLocalWorker();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(() => worker.dispose());

/** Sockets the clients opened, newest last, so a test can cut one the way a network would. */
const sockets: WebSocket[] = [];
class RecordingWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    sockets.push(this);
  }
}

function client(peerId: string, room: string, options: Partial<SignalingClientOptions> = {}): SignalingClient {
  const c = new SignalingClient({
    url: worker.url,
    room,
    peerId,
    WebSocket: RecordingWebSocket as unknown as SignalingClientOptions["WebSocket"],
    backoff: { baseMs: 20, maxMs: 200 },
    ...options,
  });
  clients.push(c);
  return c;
}

const freshRoom = () => `sdk-${Date.now().toString(36)}-${roomCounter++}`;

/** Resolves with the first payload of `event`. */
function once<T>(subscribe: (listener: (payload: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((payload) => {
      off();
      resolve(payload);
    });
  });
}

describe("SignalingClient", () => {
  it("connects, resolving with the registered answer and the room's peers", async () => {
    const room = freshRoom();
    await client("alice", room).connect();
    const bob = client("bob", room);
    const states: string[] = [];
    bob.on("state", (s) => states.push(s));
    expect(await bob.connect()).toMatchObject({ type: "registered", peer_id: "bob", peers: ["alice"] });
    expect(states).toEqual(["connecting", "open"]);
  });

  // Regression: connect() called again after registering opened a second socket, which the room refused as
  // peer_id_taken, closing the client.
  it("answers connect() called again with the registration in force, on the same socket", async () => {
    const alice = client("alice", freshRoom());
    const first = await alice.connect();
    const opened = sockets.length;
    expect(await alice.connect()).toEqual(first);
    expect(sockets.length).toBe(opened);
    expect(alice.state).toBe("open");
  });

  it("matches concurrent requests to their answers by request_id", async () => {
    const room = freshRoom();
    const alice = client("alice", room);
    await alice.connect();
    const lists = await Promise.all([alice.listPeers(), alice.listPeers(), alice.listPeers()]);
    expect(lists).toEqual([[], [], []]);
    await client("bob", room).connect();
    expect(await alice.listPeers()).toEqual(["bob"]);
  });

  it("rejects connect() with the server's code when the id is taken, and closes", async () => {
    const room = freshRoom();
    await client("alice", room).connect();
    const impostor = client("alice", room);
    const error = (await impostor.connect().catch((e) => e)) as SignalingError;
    expect(error.code).toBe("peer_id_taken");
    expect(impostor.state).toBe("closed");
  });

  it("relays to a peer, and surfaces a failed relay as an error event with its code", async () => {
    const room = freshRoom();
    const alice = client("alice", room);
    const bob = client("bob", room);
    await Promise.all([alice.connect(), bob.connect()]);
    const received = once<{ from: string; data: unknown }>((l) => bob.on("relay", l));
    alice.relay("bob", { sdp: "v=0" });
    expect(await received).toEqual({ from: "alice", data: { sdp: "v=0" } });
    const failed = once<SignalingError>((l) => alice.on("error", l));
    alice.relay("nobody", 1);
    expect((await failed).code).toBe("unknown_peer");
  });

  it("reconnects after its socket is cut, registers again, and flushes what was sent meanwhile", async () => {
    const room = freshRoom();
    const alice = client("alice", room);
    const bob = client("bob", room);
    await Promise.all([alice.connect(), bob.connect()]);
    const reconnecting = once<string>((l) => alice.on("state", l));
    const registeredAgain = once((l) => alice.on("registered", l));
    sockets[sockets.length - 2]?.terminate(); // alice's socket, without a close handshake
    expect(await reconnecting).toBe("reconnecting");
    alice.relay("bob", "sent while reconnecting");
    await registeredAgain;
    expect(alice.state).toBe("open");
    expect(await once<{ data: unknown }>((l) => bob.on("relay", l))).toMatchObject({ data: "sent while reconnecting" });
  });

  it("takes a connection whose keepalive goes unanswered as dead, and reconnects", async () => {
    const room = freshRoom();
    // Pings vanish, as on a connection that died without closing.
    class SilentPings extends RecordingWebSocket {
      override send(data: string): void {
        if (data !== '{"type":"ping"}') super.send(data);
      }
    }
    const alice = client("alice", room, {
      keepaliveMs: 50,
      pongTimeoutMs: 100,
      WebSocket: SilentPings as unknown as SignalingClientOptions["WebSocket"],
    });
    await alice.connect();
    expect(await once<string>((l) => alice.on("state", l))).toBe("reconnecting");
    await once((l) => alice.on("registered", l));
  });

  it("is final once closed: pending requests reject with closed, connect() refuses", async () => {
    const alice = client("alice", freshRoom());
    await alice.connect();
    const pending = alice.listPeers().catch((e: SignalingError) => e.code);
    alice.close();
    expect(await pending).toBe("closed");
    expect(alice.state).toBe("closed");
    expect(((await alice.connect().catch((e) => e)) as SignalingError).code).toBe("closed");
  });

  it("bounds the queue while disconnected", async () => {
    const alice = client("alice", freshRoom(), { maxQueue: 2, url: "http://127.0.0.1:9" });
    void alice.connect().catch(() => {});
    alice.relay("bob", 1);
    alice.relay("bob", 2);
    expect(() => alice.relay("bob", 3)).toThrow(/already waiting/);
  });
});
