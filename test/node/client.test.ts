/** The client SDK in Node, against the real server in workerd. */

import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
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

/** A socket whose frames can be made to vanish, as those in flight when a connection dies do. */
class LossyWebSocket extends WebSocket {
  swallow = false;
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
  }
  override send(data: string): void {
    if (!this.swallow) super.send(data);
  }
}

/** Sockets the clients opened, newest last, so a test can cut one the way a network would; and how each failed. */
const sockets: WebSocket[] = [];
const failures: string[] = [];
class RecordingWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    sockets.push(this);
    this.on("error", (error) => failures.push(error.message));
  }
}

/** The next socket made after `deafNext` is set hears nothing from the server: answers lost in flight. */
class DeafWebSocket extends RecordingWebSocket {
  static deafNext = false;
  readonly #deaf: boolean;
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    this.#deaf = DeafWebSocket.deafNext;
    DeafWebSocket.deafNext = false;
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    return this.#deaf && event === "message" ? false : super.emit(event, ...args);
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

  // Regression: a relay the client sent on a connection that died before the server read it was gone, and nobody
  // was told.
  it("sends again after a drop what the server had not taken in, and nothing twice", async () => {
    const room = freshRoom();
    const bob = client("bob", room);
    const alice = client("alice", room, {
      WebSocket: LossyWebSocket as unknown as SignalingClientOptions["WebSocket"],
    });
    await Promise.all([alice.connect(), bob.connect()]);
    const got: unknown[] = [];
    bob.on("relay", ({ data }) => got.push(data));
    alice.relay("bob", 1);
    alice.relay("bob", 2);
    await vi.waitFor(() => expect(got).toEqual([1, 2]));
    // The next two are lost in flight with the connection: written, never read by the server.
    const lossy = sockets.at(-2) as LossyWebSocket;
    lossy.swallow = true;
    alice.relay("bob", 3);
    alice.relay("bob", 4);
    const rejoined = once<{ resumed: boolean; recovered: boolean; resent: number }>((l) => alice.on("rejoined", l));
    lossy.terminate();
    expect(await rejoined).toEqual({ resumed: true, recovered: true, resent: 2 });
    await vi.waitFor(() => expect(got).toEqual([1, 2, 3, 4]));
    alice.relay("bob", 5);
    await vi.waitFor(() => expect(got).toEqual([1, 2, 3, 4, 5]));
    // The resume said the server had 1 and 2; 3 to 5 wait for the next ack, which comes once per 16.
    expect(alice.unacknowledged).toBe(3);
  });

  it("does not send again what the server had, when only its ack was lost", async () => {
    const room = freshRoom();
    const alice = client("alice", room);
    const bob = client("bob", room);
    await Promise.all([alice.connect(), bob.connect()]);
    const got: unknown[] = [];
    bob.on("relay", ({ data }) => got.push(data));
    for (let i = 1; i <= 3; i++) alice.relay("bob", i);
    await vi.waitFor(() => expect(got).toEqual([1, 2, 3]));
    const rejoined = once<{ resent: number }>((l) => alice.on("rejoined", l));
    sockets.at(-2)?.terminate();
    expect((await rejoined).resent).toBe(0);
    alice.relay("bob", 4);
    await vi.waitFor(() => expect(got).toEqual([1, 2, 3, 4]));
    expect(alice.unacknowledged).toBe(1);
  });

  it("resumes its id with the resume token after a drop: watchers see no leave, relays sent meanwhile arrive", async () => {
    const room = freshRoom();
    const watcher = client("watcher", room, { presence: true });
    const bob = client("bob", room);
    await Promise.all([watcher.connect(), bob.connect()]);
    const left: string[] = [];
    watcher.on("peer-left", ({ peerId }) => left.push(peerId));
    const firstToken = (await bob.connect()).resume_token;
    const resumed = once<{ resumed?: boolean; resume_token: string }>((l) => bob.on("registered", l));
    sockets[sockets.length - 1]?.terminate(); // bob's socket, as a network switch would cut it
    watcher.relay("bob", "sent while bob was away");
    const relayed = once<{ data: unknown }>((l) => bob.on("relay", l));
    const again = await resumed;
    expect(again.resumed).toBe(true);
    expect(again.resume_token).toBe(firstToken);
    expect((await relayed).data).toBe("sent while bob was away");
    expect(left).toEqual([]);
  });

  // Regression: the first register carried no token, so when its answer was lost (the connection cut, or the
  // server killed, after the room took the id) the retry met peer_id_taken: the client's own id, held for the
  // grace period for a token it never received, and connect() rejected.
  it("makes a first registration whose answer was lost again, with the token it drew itself", async () => {
    const room = freshRoom();
    const watcher = client("watcher", room, { presence: true });
    await watcher.connect();
    const joined = once<{ peerId: string }>((l) => watcher.on("peer-joined", l));
    DeafWebSocket.deafNext = true;
    const alice = client("alice", room, { WebSocket: DeafWebSocket as unknown as SignalingClientOptions["WebSocket"] });
    const drawn = alice.resumeToken;
    expect(drawn).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const connected = alice.connect();
    expect((await joined).peerId).toBe("alice");
    // The room has taken the id; its answer never reaches the client, and the connection drops.
    sockets.at(-1)?.terminate();
    const registered = await connected;
    expect(registered).toMatchObject({ resumed: true, resume_token: drawn });
    expect(sockets.length).toBeGreaterThanOrEqual(2);
  });

  it("says goodbye on close(): watchers see the peer leave at once, not after the grace period", async () => {
    const room = freshRoom();
    const watcher = client("watcher", room, { presence: true });
    const alice = client("alice", room);
    await Promise.all([watcher.connect(), alice.connect()]);
    const left = once<{ peerId: string }>((l) => watcher.on("peer-left", l));
    const socket = sockets[sockets.length - 1];
    const closeCode = new Promise<number>((resolve) => socket?.once("close", (code) => resolve(code)));
    alice.close();
    expect(await closeCode).toBe(1000);
    expect((await left).peerId).toBe("alice");
  });

  it("closes for good, saying so, when another connection takes its id over", async () => {
    const room = freshRoom();
    const first = client("alice", room);
    const token = (await first.connect()).resume_token;
    const failed = once<SignalingError>((l) => first.on("error", l));
    const raw = new WebSocket(`${worker.wsUrl}/rooms/${room}`);
    await new Promise((resolve) => raw.once("open", resolve));
    raw.send(JSON.stringify({ type: "register", peer_id: "alice", resume_token: token }));
    expect((await failed).code).toBe("replaced");
    expect(first.state).toBe("closed");
    raw.close();
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

/** A bare `ws` server on a free loopback port, standing in for a misbehaving signaling server. */
async function listen(): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("the test server has no address");
  return { server, url: `http://127.0.0.1:${address.port}` };
}

describe("SignalingClient against a server that never answers", () => {
  // Regression: with no connect timeout, a socket that opened but was never answered left connect() pending
  // forever and the client never tried again.
  it("gives up on an attempt after connectTimeoutMs and tries again with backoff", async () => {
    const { server: silent, url } = await listen();
    let attempts = 0;
    silent.on("connection", () => attempts++);
    const alice = client("alice", freshRoom(), { url, connectTimeoutMs: 100 });
    const states: string[] = [];
    alice.on("state", (s) => states.push(s));
    void alice.connect().catch(() => {});
    await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    expect(alice.state).toBe("connecting");
    alice.close();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});

describe("SignalingClient when the server restarts", () => {
  // Every client of a restarted server came back after its usual backoff, however long that had grown.
  it("comes back at once after 1012, not after its backoff", async () => {
    const { server: restarting, url } = await listen();
    let connections = 0;
    restarting.on("connection", (ws) => {
      connections++;
      ws.on("message", (raw) => {
        const message = JSON.parse(String(raw));
        if (message.type !== "register") return;
        ws.send(
          JSON.stringify({
            type: "registered",
            peer_id: "alice",
            peers: [],
            rev: 1,
            acked: 0,
            request_id: message.request_id,
          }),
        );
        if (connections === 1) setTimeout(() => ws.close(1012, "restarting"), 20);
      });
    });
    const alice = client("alice", freshRoom(), { url, backoff: { baseMs: 60_000, maxMs: 60_000 } });
    await alice.connect();
    const closedAt = Date.now();
    await once((l) => alice.on("rejoined", l));
    expect(Date.now() - closedAt).toBeLessThan(1_500);
    alice.close();
    await new Promise<void>((resolve) => restarting.close(() => resolve()));
  });
});

describe("SignalingClient reading frames", () => {
  it("ignores frames that are not messages of the protocol, and keeps working", async () => {
    const { server: noisy, url } = await listen();
    noisy.on("connection", (ws) => {
      ws.on("message", (raw) => {
        const message = JSON.parse(String(raw));
        if (message.type !== "register") return;
        for (const frame of ["not json", "[]", '{"type":"relay"}', '{"type":"registered","peer_id":1}']) ws.send(frame);
        ws.send(
          JSON.stringify({ type: "registered", peer_id: "alice", peers: [], rev: 1, request_id: message.request_id }),
        );
      });
    });
    const alice = client("alice", freshRoom(), { url });
    const relays: unknown[] = [];
    alice.on("relay", (r) => relays.push(r));
    expect(await alice.connect()).toMatchObject({ type: "registered", peer_id: "alice" });
    expect(relays).toEqual([]);
    alice.close();
    await new Promise<void>((resolve) => noisy.close(() => resolve()));
  });
});

describe("SignalingClient with join tokens", () => {
  const secret = "a-secret-for-the-client-tests-0123456789";
  let guarded: LocalWorker;
  beforeAll(async () => {
    guarded = await startLocalWorker({ vars: { AUTH_SECRET: secret } });
  });
  afterAll(() => guarded.dispose());

  const mint = (sub: string, ttlSeconds: number) =>
    new SignJWT({ room: "*" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(new TextEncoder().encode(secret));

  it("sends the token as a subprotocol, and asks the token function again before every reconnection", async () => {
    const calls: number[] = [];
    const alice = client("alice", freshRoom(), {
      url: guarded.url,
      token: async () => {
        calls.push(Date.now());
        return mint("alice", 60);
      },
    });
    expect(await alice.connect()).toMatchObject({ type: "registered", peer_id: "alice" });
    expect(sockets.at(-1)?.protocol).toBe("webrtc-signal");
    sockets.at(-1)?.terminate();
    await vi.waitFor(() => expect(calls.length).toBe(2), { timeout: 5_000 });
    await vi.waitFor(() => expect(alice.state).toBe("open"), { timeout: 5_000 });
  });

  it("keeps retrying while the server refuses its token, and reports a token function that fails", async () => {
    const errors: string[] = [];
    let attempts = 0;
    const bob = client("bob", freshRoom(), {
      url: guarded.url,
      token: async () => {
        attempts++;
        if (attempts === 1) throw new Error("backend down");
        return attempts === 2 ? mint("bob", -600) : mint("bob", 60);
      },
    });
    bob.on("error", (e) => errors.push(e.code));
    expect(await bob.connect()).toMatchObject({ type: "registered", peer_id: "bob" });
    expect(errors).toContain("token_failed");
    expect(attempts).toBe(3);
  });

  // Regression: this passed with the server down too, since it only checked that the client was not open; and the
  // client retried a refusal that could never change for ever.
  it("cannot get in without a token: connect() rejects with the server's 401, and the client stops", async () => {
    const before = failures.length;
    const carol = client("carol", freshRoom(), { url: guarded.url, connectTimeoutMs: 300 });
    const errors: string[] = [];
    carol.on("error", (e) => errors.push(e.code));
    const refused = (await carol.connect().catch((e) => e)) as SignalingError;
    expect(refused.code).toBe("unauthorized");
    expect(failures.slice(before)).toContain("Unexpected server response: 401");
    expect(errors).toEqual(["unauthorized"]);
    expect(carol.state).toBe("closed");
  });

  // Regression: a 502 from a proxy in front of a restarting server was taken as a refusal, and the client gave up.
  it("keeps trying through a proxy's 502, as through any drop", async () => {
    const { createServer } = await import("node:http");
    let upgrades = 0;
    const proxy = createServer();
    proxy.on("upgrade", (_request, socket) => {
      upgrades++;
      // The client may reset the connection as it reads the answer: nothing to report.
      socket.on("error", () => {});
      socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const { port } = proxy.address() as { port: number };
    const erin = client("erin", freshRoom(), { url: `ws://127.0.0.1:${port}` });
    const settled = vi.fn();
    erin.connect().then(settled, settled);
    await vi.waitFor(() => expect(upgrades).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    expect(settled).not.toHaveBeenCalled();
    expect(erin.state).toBe("connecting");
    erin.close();
    proxy.close();
  });

  it("asks a token function again after a refusal, a few times, then gives up", async () => {
    let calls = 0;
    const dave = client("dave", freshRoom(), {
      url: guarded.url,
      token: async () => {
        calls++;
        return mint("dave", -600); // expired every time
      },
    });
    const refused = (await dave.connect().catch((e) => e)) as SignalingError;
    expect(refused.code).toBe("unauthorized");
    expect(calls).toBe(3);
    expect(dave.state).toBe("closed");
  });
});
