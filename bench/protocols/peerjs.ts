/** The PeerJS server's protocol: registered by the URL, answered with OPEN; relays are OFFER/ANSWER/CANDIDATE. */
import type { ProtocolAdapter, RelayData } from "./peer.js";

export const peerjs: ProtocolAdapter = {
  url: (base, id) => `${base}?key=peerjs&id=${encodeURIComponent(id)}&token=${Math.random().toString(36).slice(2)}`,
  hello: () => [],
  relay: (_from, to, data) => ({ type: "OFFER", dst: to, payload: data }),
  read(m) {
    const payloadText = (m.payload as { msg?: unknown } | undefined)?.msg;
    switch (m.type) {
      case "OPEN":
        return { kind: "registered" };
      case "OFFER":
        return { kind: "relay", from: String(m.src), data: m.payload as RelayData };
      case "ERROR":
      case "ID-TAKEN":
        return { kind: "error", code: String(m.type), text: String(payloadText) };
      default:
        return undefined;
    }
  },
};
