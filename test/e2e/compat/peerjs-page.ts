/** What the PeerJS browser test loads into each page: the real, unmodified `peerjs` client. */
import { type DataConnection, Peer } from "peerjs";

declare global {
  interface Window {
    startPeer(port: number, key: string, id?: string): Promise<string>;
    connectTo(id: string): Promise<void>;
    say(text: string): void;
    heard: string[];
    errors: string[];
  }
}

let peer: Peer;
let connection: DataConnection | undefined;
window.heard = [];
window.errors = [];

function listen(conn: DataConnection): void {
  connection = conn;
  conn.on("data", (data) => window.heard.push(String(data)));
}

/** Resolves with the peer's id once the server said OPEN (with no id, the server's /id chose it). */
window.startPeer = (port, key, id) =>
  new Promise((resolve, reject) => {
    const options = { host: "127.0.0.1", port, path: "/peerjs", key, secure: false, config: { iceServers: [] } };
    peer = id === undefined ? new Peer(options) : new Peer(id, options);
    peer.on("open", resolve);
    peer.on("connection", listen);
    peer.on("error", (error) => {
      window.errors.push(error.type);
      reject(error);
    });
  });

window.connectTo = (id) =>
  new Promise((resolve) => {
    const conn = peer.connect(id, { reliable: true });
    listen(conn);
    conn.on("open", () => resolve());
  });

window.say = (text) => connection?.send(text);
