/**
 * A room of peers in one call: every peer connected to every other (a full mesh) over `PeerSession`s, with perfect
 * negotiation and healing; messages (JSON, strings, binary, chunked when large) and media streams to all or to one;
 * peers' `meta`; optional end-to-end encryption of every signal; and lobbies that match players into rooms.
 *
 * Who offers: a newcomer connects to the peers it finds in the room; the others answer when its first signal comes.
 * A data channel negotiated on both sides (id 0) carries the room's messages, so neither side waits for the other's.
 */
import type { RegisteredMessage } from "../../core/wire/protocol.js";
import type { SignalingClientOptions } from "../client-options.js";
import { Emitter } from "../emitter.js";
import { PeerSessionError } from "../negotiation-watch.js";
import { isSessionSignal, PeerSession, type SessionSignal } from "../peer-session.js";
import { type ConnectionState, SignalingClient } from "../signaling-client.js";
import type { WebSocketConstructor } from "../websocket.js";
import { framesOf, Reassembler, type RoomMessage } from "./channel-messages.js";
import { findMatch } from "./find-match.js";
import { RoomError } from "./room-error.js";
import { isSealed, SignalSeal } from "./signal-seal.js";

/** The most peers a room's mesh holds by default: each peer keeps a connection to each other one. */
export const DEFAULT_MAX_PEERS = 16;
/** The largest message a peer may send by default, once its chunks are put together. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Frames are handed to a data channel while it buffers less than this, and again when it falls under LOW. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;
/** Sent once to a peer whose signals do not open, so that it learns it too (sealed, or not, as this side is). */
const SECRET_CHECK = { e2e: "check" } as const;

/**
 * `M`: the shape of the peers' `meta`, as this peer's own is written (inferred from `meta`). What other peers send
 * is theirs: check it before trusting it.
 */
export interface JoinRoomOptions<M = unknown> {
  /** The signaling server, e.g. `wss://signal.example.com`. */
  url: string;
  /** The room to join; or give `lobby` and `size` to be matched into one. */
  room?: string;
  /** A lobby to wait in until `size` peers are there; the group gets a room of its own (`room.name`). */
  lobby?: string;
  size?: number;
  /** This peer's id; a random one when omitted. */
  peerId?: string;
  /** What the others see of this peer (JSON, 1 KiB by default: the server's `MAX_META_BYTES`). */
  meta?: M;
  /**
   * Reads another peer's `meta` (untrusted: the server bounds its size, not its shape). Return undefined for one
   * you do not accept: that peer still joins, without meta. Without it, a peer's meta is taken as it came.
   */
  parseMeta?: (meta: unknown) => M | undefined;
  /**
   * A secret shared by the room's peers: every signal is encrypted with AES-GCM under a key derived from it and the
   * room's name, so that the server sees ciphertext only. A peer with another secret cannot connect (`wrong_secret`).
   */
  secret?: string;
  token?: SignalingClientOptions["token"];
  /** ICE servers; fetched from the server's `/ice-servers` when omitted. */
  iceServers?: RTCIceServer[];
  WebSocket?: WebSocketConstructor;
  RTCPeerConnection?: typeof RTCPeerConnection;
  /** The most peers in the room, this one included (default 16); past it `joinRoom` rejects with `mesh_full`. */
  maxPeers?: number;
  /** The largest message taken from a peer, in bytes (default 16 MiB); a larger one is dropped and reported. */
  maxMessageBytes?: number;
  /** A resume token from an earlier session of this `peerId` (see `room.resumeToken`): it takes the id back. */
  resumeToken?: string;
  /** In a lobby: each time the number waiting in the group changes. */
  onWaiting?: (progress: { waiting: number; size: number }) => void;
  /** Stops waiting in a lobby. */
  signal?: AbortSignal;
}

/** A peer whose data path is open. */
export interface RoomPeer<M = unknown> {
  peerId: string;
  /** What it registered with (undefined when nothing). */
  meta: M | undefined;
  connection: RTCPeerConnection;
}

export interface RoomEvents<M = unknown> extends Record<string, unknown> {
  /** The data path to this peer is open: `send` reaches it. */
  "peer-join": { peerId: string; meta: M | undefined };
  /**
   * The data path to this peer closed, or the peer left; also when a peer the room reported an error about (say,
   * `wrong_secret`) leaves without ever having joined, so that what was shown about it can go.
   */
  "peer-leave": { peerId: string };
  message: { from: string; data: RoomMessage };
  stream: { peerId: string; stream: MediaStream };
  /** The signaling connection's state: `reconnecting` while it is away (peers already connected stay so). */
  state: ConnectionState;
  error: RoomError;
}

interface Link {
  peerId: string;
  session: PeerSession;
  channel: RTCDataChannel | undefined;
  open: boolean;
  frames: Uint8Array<ArrayBuffer>[];
  reassembler: Reassembler;
  senders: Map<MediaStream, RTCRtpSender[]>;
  streams: Set<string>;
}

/** Joins a room (or a lobby's match) and connects to every peer in it. */
export async function joinRoom<M = unknown>(options: JoinRoomOptions<M>): Promise<MeshRoom<M>> {
  const { url, lobby } = options;
  let name = options.room;
  if (name === undefined) {
    if (lobby === undefined) throw new TypeError("joinRoom needs a room, or a lobby and a size");
    const { size = 2, token, onWaiting, signal } = options;
    name = await findMatch({ url, lobby, size, token, WebSocket: options.WebSocket, onWaiting, signal });
  }
  const seal = options.secret === undefined ? undefined : await SignalSeal.derive(options.secret, name);
  const signaling = new SignalingClient({
    url,
    room: name,
    peerId: options.peerId ?? randomPeerId(),
    presence: true,
    meta: options.meta,
    withMeta: true,
    token: options.token,
    WebSocket: options.WebSocket,
    ...(options.resumeToken === undefined ? {} : { resumeToken: options.resumeToken }),
  });
  const room = new MeshRoom<M>(signaling, name, seal, options);
  let registered: RegisteredMessage;
  try {
    registered = await signaling.connect();
  } catch (error) {
    signaling.close();
    throw error;
  }
  const maxPeers = options.maxPeers ?? DEFAULT_MAX_PEERS;
  if (registered.peers.length + 1 > maxPeers) {
    await room.leave();
    throw new RoomError(
      "mesh_full",
      `room "${name}" already holds ${registered.peers.length} peers (maxPeers ${maxPeers})`,
    );
  }
  room.start(registered);
  return room;
}

export class MeshRoom<M = unknown> extends Emitter<RoomEvents<M>> {
  readonly name: string;
  readonly peerId: string;
  readonly #signaling: SignalingClient;
  readonly #seal: SignalSeal | undefined;
  readonly #options: JoinRoomOptions<M>;
  readonly #links = new Map<string, Link>();
  readonly #metas = new Map<string, M | undefined>();
  readonly #streams = new Set<MediaStream>();
  /** Per peer, its signals being opened, and ours being sealed: each in order. */
  readonly #opening = new Map<string, Promise<void>>();
  readonly #sealing = new Map<string, Promise<void>>();
  readonly #warned = new Set<string>();
  #started = false;
  #left = false;

  constructor(signaling: SignalingClient, name: string, seal: SignalSeal | undefined, options: JoinRoomOptions<M>) {
    super();
    this.#signaling = signaling;
    this.name = name;
    this.peerId = signaling.peerId;
    this.#seal = seal;
    this.#options = options;
    signaling.on("relay", ({ from, data }) => this.#incoming(from, data));
    signaling.on("peer-joined", ({ peerId, meta }) => this.#metas.set(peerId, this.#readMeta(meta)));
    signaling.on("peer-left", ({ peerId }) => {
      if (this.#warned.delete(peerId) && !this.#links.has(peerId)) this.emit("peer-leave", { peerId });
      this.#unlink(peerId, false);
      // Nothing more comes from it, and nothing goes to it: its chains go, or a room of comings and goings keeps one
      // per id it ever saw.
      this.#opening.delete(peerId);
      this.#sealing.delete(peerId);
      this.#metas.delete(peerId);
    });
    signaling.on("registered", (message) => {
      if (this.#started) this.#connectToListed(message);
    });
    signaling.on("state", (state) => this.emit("state", state));
    signaling.on("error", (error) => {
      // Answers to relays are each session's to act on; the rest is the room's.
      if (error.to === undefined) this.emit("error", new RoomError(error.code, error.message));
    });
  }

  /** The peers whose data path is open. */
  get peers(): ReadonlyMap<string, RoomPeer<M>> {
    const peers = new Map<string, RoomPeer<M>>();
    for (const link of this.#links.values()) {
      const connection = link.session.peerConnection;
      if (link.open && connection) {
        peers.set(link.peerId, { peerId: link.peerId, meta: this.#metas.get(link.peerId), connection });
      }
    }
    return peers;
  }

  /** The signaling connection's state. */
  get state(): ConnectionState {
    return this.#signaling.state;
  }

  /** The newest resume token: keep it (say, in `sessionStorage`) and pass it back to keep this id across a reload. */
  get resumeToken(): string {
    return this.#signaling.resumeToken;
  }

  /** Called by `joinRoom` once registered: connects to every peer already in the room. */
  start(registered: RegisteredMessage): void {
    this.#started = true;
    this.#connectToListed(registered);
  }

  /**
   * Sends `data` to every connected peer, or to peer `to`: a JSON value, a string or bytes (ArrayBuffer or a typed
   * array); messages over 16 KiB go in chunks, put together on the other side.
   */
  send(data: RoomMessage, to?: string): void {
    const frames = framesOf(data);
    if (to !== undefined) {
      const link = this.#links.get(to);
      if (!link?.open) throw new RoomError("unknown_peer", `no connected peer "${to}" in room "${this.name}"`, to);
      this.#queue(link, frames);
      return;
    }
    for (const link of this.#links.values()) if (link.open) this.#queue(link, frames);
  }

  /** Sends a stream's tracks to every peer, and to those who come later. */
  addStream(stream: MediaStream): void {
    if (this.#streams.has(stream)) return;
    this.#streams.add(stream);
    for (const link of this.#links.values()) this.#sendStream(link, stream);
  }

  removeStream(stream: MediaStream): void {
    if (!this.#streams.delete(stream)) return;
    for (const link of this.#links.values()) {
      const senders = link.senders.get(stream) ?? [];
      link.senders.delete(stream);
      const connection = link.session.peerConnection;
      for (const sender of senders) connection?.removeTrack(sender);
    }
  }

  /** Leaves the room: every connection closed, the others told at once. */
  async leave(): Promise<void> {
    if (this.#left) return;
    this.#left = true;
    for (const link of this.#links.values()) link.session.close();
    // Sealed goodbyes are on their way: the connection closes after them.
    await Promise.allSettled([...this.#sealing.values()]);
    this.#links.clear();
    this.#signaling.close();
  }

  /** A listener's exception must not break the room: it is thrown again on its own. */
  protected override emit<K extends keyof RoomEvents<M>>(event: K, payload: RoomEvents<M>[K]): void {
    try {
      super.emit(event, payload);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #connectToListed({ peers, peer_meta: metas }: RegisteredMessage): void {
    for (const peerId of peers) {
      if (metas?.[peerId] !== undefined) this.#metas.set(peerId, this.#readMeta(metas[peerId]));
      if (!this.#links.has(peerId) && !this.#warned.has(peerId)) this.#link(peerId);
    }
  }

  /** Another peer's meta, through `parseMeta` when there is one; taken as it came otherwise (see the option). */
  #readMeta(meta: unknown): M | undefined {
    if (meta === undefined) return undefined;
    const parse = this.#options.parseMeta;
    return parse ? parse(meta) : (meta as M);
  }

  #incoming(from: string, data: unknown): void {
    if (this.#left) return;
    const seal = this.#seal;
    if (!seal) {
      if (isSealed(data)) this.#wrongSecret(from, "encrypts its signals: join with the room's secret");
      else if (isSessionSignal(data)) this.#deliver(from, data);
      return;
    }
    if (!isSealed(data)) {
      if (isSessionSignal(data) || isSecretCheck(data)) this.#wrongSecret(from, "sends its signals in the clear");
      return;
    }
    const previous = this.#opening.get(from) ?? Promise.resolve();
    const next = previous.then(async () => {
      const signal = await seal.open(data, from, this.peerId);
      if (signal === undefined) this.#wrongSecret(from, "has another secret: its signals do not open");
      else if (isSessionSignal(signal)) this.#deliver(from, signal);
    });
    this.#opening.set(from, next);
  }

  #deliver(from: string, signal: SessionSignal): void {
    if (this.#left || (signal.rtc === "bye" && !this.#links.has(from))) return;
    const link = this.#links.get(from) ?? this.#link(from);
    // Its failures come as the session's `error` events.
    link.session.handleSignal(signal).catch(() => undefined);
  }

  #wrongSecret(peerId: string, why: string): void {
    if (this.#warned.has(peerId)) return;
    this.#warned.add(peerId);
    this.#unlink(peerId, true);
    this.emit("error", new RoomError("wrong_secret", `peer "${peerId}" ${why}`, peerId));
    // Tell it, so that it reports the same instead of waiting for a connection that cannot come.
    this.#sendSignal(peerId, SECRET_CHECK);
  }

  #link(peerId: string): Link {
    const { iceServers, RTCPeerConnection } = this.#options;
    const session = new PeerSession({
      signaling: this.#signaling,
      remotePeerId: peerId,
      ...(iceServers ? { iceServers } : {}),
      ...(RTCPeerConnection ? { RTCPeerConnection } : {}),
      ...(this.#seal ? { sendSignal: (signal: SessionSignal) => this.#sendSignal(peerId, signal) } : {}),
    });
    const link: Link = {
      peerId,
      session,
      channel: undefined,
      open: false,
      frames: [],
      reassembler: new Reassembler(this.#options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
      senders: new Map(),
      streams: new Set(),
    };
    this.#links.set(peerId, link);
    session.on("error", (error) => {
      const code = error instanceof PeerSessionError ? "gave_up" : "connection_error";
      this.emit("error", new RoomError(code, `with "${peerId}": ${error.message}`, peerId));
      if (code === "gave_up") this.#unlink(peerId, true);
    });
    session.on("closed", () => this.#unlink(peerId, false));
    session.on("track", ({ streams: [stream] }) => {
      if (!stream || link.streams.has(stream.id)) return;
      link.streams.add(stream.id);
      this.emit("stream", { peerId, stream });
    });
    session
      .createDataChannel("room", { negotiated: true, id: 0 })
      .then((channel) => this.#attach(link, channel))
      .catch(() => undefined);
    for (const stream of this.#streams) this.#sendStream(link, stream);
    return link;
  }

  #attach(link: Link, channel: RTCDataChannel): void {
    if (this.#links.get(link.peerId) !== link) {
      channel.close();
      return;
    }
    link.channel = channel;
    channel.binaryType = "arraybuffer";
    channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    channel.onbufferedamountlow = () => this.#pump(link);
    channel.onopen = () => {
      link.open = true;
      this.#pump(link);
      this.emit("peer-join", { peerId: link.peerId, meta: this.#metas.get(link.peerId) });
    };
    channel.onclose = () => this.#unlink(link.peerId, false);
    channel.onmessage = ({ data: received }) => {
      // werift (Node) hands a Buffer whatever binaryType says.
      const data: unknown = ArrayBuffer.isView(received)
        ? received.buffer.slice(received.byteOffset, received.byteOffset + received.byteLength)
        : received;
      if (!(data instanceof ArrayBuffer)) {
        this.emit("error", new RoomError("bad_message", `"${link.peerId}" sent a frame that is no room message`));
        return;
      }
      const got = link.reassembler.add(data);
      if (got instanceof Error) {
        const code = got.message.includes("over the limit") ? "message_too_large" : "bad_message";
        this.emit("error", new RoomError(code, `from "${link.peerId}": ${got.message}`, link.peerId));
      } else if (got) this.emit("message", { from: link.peerId, data: got.message });
    };
    if (channel.readyState === "open") channel.onopen?.(new Event("open"));
  }

  #queue(link: Link, frames: Uint8Array<ArrayBuffer>[]): void {
    link.frames.push(...frames);
    this.#pump(link);
  }

  #pump(link: Link): void {
    const channel = link.channel;
    if (channel?.readyState !== "open") return;
    while (link.frames.length > 0 && channel.bufferedAmount < HIGH_WATER_BYTES) {
      const frame = link.frames.shift();
      if (frame) channel.send(frame);
    }
  }

  #sendStream(link: Link, stream: MediaStream): void {
    for (const track of stream.getTracks()) {
      link.session
        .addTrack(track, stream)
        .then((sender) => {
          const senders = link.senders.get(stream) ?? [];
          senders.push(sender);
          link.senders.set(stream, senders);
        })
        .catch(() => undefined);
    }
  }

  /** A signal to `peerId`, sealed when the room has a secret; in order either way. */
  #sendSignal(peerId: string, signal: unknown): void {
    const seal = this.#seal;
    if (!seal) {
      this.#signaling.relay(peerId, signal);
      return;
    }
    const previous = this.#sealing.get(peerId) ?? Promise.resolve();
    const next = previous
      .then(async () => this.#signaling.relay(peerId, await seal.seal(signal, this.peerId, peerId)))
      .catch(() => undefined);
    this.#sealing.set(peerId, next);
  }

  /** The peer is gone (or cannot be reached): its connection closed, and `peer-leave` if it had joined. */
  #unlink(peerId: string, goodbye: boolean): void {
    const link = this.#links.get(peerId);
    if (!link) return;
    this.#links.delete(peerId);
    link.session.close({ goodbye });
    link.channel?.close();
    if (link.open) this.emit("peer-leave", { peerId });
  }
}

function isSecretCheck(data: unknown): boolean {
  return typeof data === "object" && data !== null && (data as { e2e?: unknown }).e2e === SECRET_CHECK.e2e;
}

function randomPeerId(): string {
  return crypto.randomUUID();
}
