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
    /** Every signaling frame the page sent and received, with its time, for a run that failed. */
    signalingFrames: Array<{ at: number; dir: "out" | "in"; data: string }>;
  }
}

// Every frame y-webrtc's signaling connection sends and receives, kept for the record (nothing else changes).
window.signalingFrames = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.addEventListener("message", (event) =>
      window.signalingFrames.push({ at: performance.now(), dir: "in", data: String(event.data) }),
    );
  }
  override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    window.signalingFrames.push({ at: performance.now(), dir: "out", data: String(data) });
    super.send(data);
  }
};

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
