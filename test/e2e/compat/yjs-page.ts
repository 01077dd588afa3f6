/**
 * What the y-webrtc browser test loads into each page: the real, unmodified yjs and y-webrtc, bundled as an app
 * would bundle them, with this server as the only signaling server.
 */
import { WebrtcProvider } from "y-webrtc";
import * as Y from "yjs";

declare global {
  interface Window {
    startDoc(signalingUrl: string, room: string): void;
    docText(): string;
    edit(text: string): void;
    webrtcPeers(): number;
  }
}

let doc: Y.Doc;
let provider: WebrtcProvider;

window.startDoc = (signalingUrl, room) => {
  doc = new Y.Doc();
  provider = new WebrtcProvider(room, doc, { signaling: [signalingUrl] });
};
window.docText = () => doc.getText("shared").toString();
window.edit = (text) => doc.getText("shared").insert(0, text);
// Peers reached over WebRTC, not over the BroadcastChannel y-webrtc also uses between tabs of one browser.
window.webrtcPeers = () => (provider.room ? provider.room.webrtcConns.size : 0);
