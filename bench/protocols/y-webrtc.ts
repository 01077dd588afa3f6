/**
 * y-webrtc's signaling protocol: topics instead of peer ids, so each peer subscribes to a topic named after itself
 * and a relay publishes to the target's topic. There is no acknowledgement of subscribe: a ping behind it is
 * answered once the subscription is in place.
 */
import type { ProtocolAdapter, RelayData } from "./peer.js";

export const yWebrtc: ProtocolAdapter = {
  url: (base) => base,
  hello: (id) => [{ type: "subscribe", topics: [id] }, { type: "ping" }],
  relay: (from, to, data) => ({ type: "publish", topic: to, from, data }),
  read(m) {
    switch (m.type) {
      case "pong":
        return { kind: "registered" };
      case "publish":
        return { kind: "relay", from: String(m.from), data: m.data as RelayData };
      default:
        return undefined;
    }
  },
};
