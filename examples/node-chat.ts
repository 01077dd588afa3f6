/**
 * A peer of a room in Node: joins, says hello to every peer that connects, and prints what it is sent.
 *
 *   npx tsx examples/node-chat.ts ws://localhost:8787 lobby alice
 *
 * Node has no WebRTC of its own: werift (WebRTC in TypeScript) gives it an RTCPeerConnection, and ws a WebSocket.
 */
import { RTCPeerConnection } from "werift";
import WebSocket from "ws";
import { joinRoom } from "../src/client/index.js";

const [url = "ws://localhost:8787", roomName = "lobby", peerId = "node"] = process.argv.slice(2);

const room = await joinRoom({
  url,
  room: roomName,
  peerId,
  meta: { name: peerId, runtime: "node" },
  iceServers: [],
  WebSocket,
  RTCPeerConnection: RTCPeerConnection as unknown as typeof globalThis.RTCPeerConnection,
});
console.log(`joined ${room.name} as ${room.peerId}`);
room.on("peer-join", ({ peerId: other, meta }) => {
  console.log(`${other} joined ${JSON.stringify(meta)}`);
  room.send(`hello from ${room.peerId}`, other);
});
room.on("message", ({ from, data }) => console.log(`${from} says: ${String(data)}`));
room.on("peer-leave", ({ peerId: other }) => console.log(`${other} left`));
room.on("error", (error) => console.error(`error ${error.code}: ${error.message}`));
// Says goodbye, then exits; within 2 s whatever the network does.
const quit = () => {
  setTimeout(() => process.exit(0), 2000).unref();
  void room.leave().then(() => process.exit(0));
};
process.on("SIGINT", quit);
process.on("SIGTERM", quit);
