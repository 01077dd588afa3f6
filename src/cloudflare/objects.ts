/** The Durable Object classes wrangler.toml binds and migrates, each the one shell speaking one protocol. */
import { signalObject } from "./signal-object.js";

/** The seed protocol (`/rooms/<name>`), under the name the original Rust server used. */
export class Peers extends signalObject("seed") {}
/** PeerJS clients (`/peerjs`): one object per key. */
export class PeerjsRooms extends signalObject("peerjs") {}
/** y-webrtc's signaling (`/y-webrtc/<namespace>`): one object per namespace of topics. */
export class Topics extends signalObject("y-webrtc") {}
/** WebSocket BitTorrent trackers (`/announce/<namespace>`): one object per namespace of swarms. */
export class Trackers extends signalObject("webtorrent") {}
/** Lobbies (`/lobbies/<name>?size=N`): one object per lobby and group size. */
export class Lobbies extends signalObject("lobby") {}
