/** The seed's protocol, as this project and the control speak it. */
import type { ClientMessage } from "../../src/core/wire/protocol.js";
import type { ProtocolAdapter, RelayData } from "./peer.js";

export { payload } from "./peer.js";

export const seed: ProtocolAdapter = {
  url: (base) => base,
  hello: (id) => [{ type: "register", peer_id: id } satisfies ClientMessage],
  relay: (_from, to, data) => ({ type: "relay", to, data }) satisfies ClientMessage,
  listPeers: { type: "list_peers" } satisfies ClientMessage,
  read(m) {
    switch (m.type) {
      case "registered":
        return { kind: "registered", peers: Array.isArray(m.peers) ? m.peers.map(String) : undefined };
      case "relay":
        return { kind: "relay", from: String(m.from), data: m.data as RelayData };
      case "peers":
        return { kind: "peers", peers: Array.isArray(m.peers) ? m.peers.map(String) : [] };
      case "error":
        return { kind: "error", code: String(m.code), text: String(m.error) };
      default:
        return undefined;
    }
  },
};
