/** What the Trystero browser test loads into each page: the real, unmodified `@trystero-p2p/torrent`. */
import { joinRoom } from "@trystero-p2p/torrent";

declare global {
  interface Window {
    startRoom(trackerUrl: string, appId: string, roomId: string): void;
    say(text: string): void;
    peers: string[];
    heard: string[];
  }
}

window.peers = [];
window.heard = [];

window.startRoom = (trackerUrl, appId, roomId) => {
  // This server is the only tracker; no ICE servers, as the pages meet over loopback.
  const room = joinRoom({ appId, relayConfig: { urls: [trackerUrl] }, rtcConfig: { iceServers: [] } }, roomId);
  const chat = room.makeAction<string>("chat", { onMessage: (text) => void window.heard.push(text) });
  room.onPeerJoin = (peerId) => void window.peers.push(peerId);
  window.say = (text) => void chat.send(text);
};
