/**
 * The ceiling for any JavaScript server here: the smallest Node `ws` relay of the seed's protocol, one process,
 * one Map, no validation or limits. Usage: node --import tsx bench/ceiling/ws-relay.ts <port>
 */
import { type WebSocket, WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 4500);
const peers = new Map<string, WebSocket>();
const wss = new WebSocketServer({ port, host: "127.0.0.1" });

wss.on("connection", (ws) => {
  let self = "";
  ws.on("message", (raw) => {
    const msg = JSON.parse(String(raw));
    if (msg.type === "register") {
      self = msg.peer_id;
      peers.set(self, ws);
      ws.send(JSON.stringify({ type: "registered", peer_id: self }));
    } else if (msg.type === "relay") {
      peers.get(msg.to)?.send(JSON.stringify({ type: "relay", from: self, data: msg.data }));
    } else if (msg.type === "list_peers") {
      ws.send(JSON.stringify({ type: "peers", peers: [...peers.keys()] }));
    }
  });
  ws.on("close", () => {
    if (peers.get(self) === ws) peers.delete(self);
  });
});
wss.on("listening", () => console.log(`READY ws://127.0.0.1:${port}`));
