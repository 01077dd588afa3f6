import { afterEach, describe, expect, it, vi } from "vitest";
import { PeerSession } from "./peer-session.js";
import type { SignalingClient } from "./signaling-client.js";

/** Enough of an RTCPeerConnection to watch its configuration. */
class FakePeerConnection {
  static last: FakePeerConnection | undefined;
  configuration: RTCConfiguration;
  signalingState = "stable";
  onnegotiationneeded = null;
  onicecandidate = null;
  onconnectionstatechange = null;
  ontrack = null;
  ondatachannel = null;
  constructor(configuration: RTCConfiguration) {
    this.configuration = configuration;
    FakePeerConnection.last = this;
  }
  getConfiguration() {
    return this.configuration;
  }
  setConfiguration(configuration: RTCConfiguration) {
    this.configuration = configuration;
  }
  close() {}
}

const signaling = {
  url: "wss://signal.example/rooms/r",
  peerId: "alice",
  joinToken: async () => "the-token",
  relay: () => {},
} as unknown as SignalingClient;

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("PeerSession ICE servers", () => {
  it("fetches them with the join token, and again before their ttl runs out", async () => {
    vi.useFakeTimers();
    let round = 0;
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => {
      round++;
      return Response.json({
        iceServers: [{ urls: "turn:t.example", username: `u${round}`, credential: "c" }],
        ttl: 100,
      });
    });
    vi.stubGlobal("fetch", fetchMock);
    const session = new PeerSession({
      signaling,
      remotePeerId: "bob",
      RTCPeerConnection: FakePeerConnection as unknown as typeof RTCPeerConnection,
    });
    await session.connection();
    expect(fetchMock).toHaveBeenCalledWith("https://signal.example/ice-servers", {
      headers: { Authorization: "Bearer the-token" },
    });
    expect(FakePeerConnection.last?.configuration.iceServers?.[0]).toMatchObject({ username: "u1" });
    await vi.advanceTimersByTimeAsync(79_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(FakePeerConnection.last?.configuration.iceServers?.[0]).toMatchObject({ username: "u2" });
    session.close();
    await vi.advanceTimersByTimeAsync(200_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it("uses the ICE servers it is given, fetching nothing", async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal("fetch", fetchMock);
    const session = new PeerSession({
      signaling,
      remotePeerId: "bob",
      iceServers: [{ urls: "stun:s.example" }],
      RTCPeerConnection: FakePeerConnection as unknown as typeof RTCPeerConnection,
    });
    await session.connection();
    expect(fetchMock).not.toHaveBeenCalled();
    session.close();
  });
});

describe("PeerSession without WebRTC", () => {
  it("says plainly that it needs an RTCPeerConnection, and where to get one on Node", async () => {
    vi.stubGlobal("RTCPeerConnection", undefined);
    const session = new PeerSession({ signaling, remotePeerId: "bob", iceServers: [] });
    const errors: Error[] = [];
    session.on("error", (error) => errors.push(error));
    await expect(session.connection()).rejects.toThrow(/no RTCPeerConnection.*options\.RTCPeerConnection/);
    expect(errors[0]?.message).toMatch(/README/);
  });
});
