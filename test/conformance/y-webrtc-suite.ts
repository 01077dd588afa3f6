/**
 * y-webrtc's signaling protocol, written once and run on every host like suite.ts: what y-webrtc's client relies
 * on (publish to every subscriber with `clients`, the exact pong), and bad frames answered, never a crash.
 */
import { describe, expect, it } from "vitest";
import { freshRoom, type TestSocket, waitFor } from "../../tools/test-socket.js";
import type { Host } from "./suite.js";

// biome-ignore lint/suspicious/noExplicitAny: y-webrtc's messages are whatever its clients publish
type Frame = any;

export function yWebrtcConformance(hostName: string, host: Host): void {
  const open = async (namespace: string) => (await host.connect(`/y-webrtc/${namespace}`)) as TestSocket<Frame>;
  /**
   * Subscribes, then pings: y-webrtc has no acknowledgement, and the pong comes from the namespace's object after
   * it has read the subscribe (a ping with any other text than the exact keepalive is the object's to answer).
   */
  const subscribed = async (namespace: string, topics: string[]) => {
    const socket = await open(namespace);
    socket.send({ type: "subscribe", topics });
    socket.sendRaw('{"type":"ping","after":"subscribe"}');
    expect(await socket.next()).toEqual({ type: "pong" });
    return socket;
  };

  describe(`y-webrtc conformance on ${hostName}`, () => {
    it("publishes to every subscriber of a topic, the publisher included, adding clients", async () => {
      const ns = freshRoom("yw");
      const [a, c] = await Promise.all([subscribed(ns, ["doc"]), subscribed(ns, ["another"])]);
      const b = await subscribed(ns, ["doc"]);
      const message = { type: "publish", topic: "doc", data: { type: "announce", from: "peer-b" } };
      b.send(message);
      expect(await a.next()).toEqual({ ...message, clients: 2 });
      expect(await b.next()).toEqual({ ...message, clients: 2 });
      const signal = { type: "publish", topic: "doc", data: { type: "signal", from: "peer-a", to: "peer-b" } };
      a.send(signal);
      expect(await a.next()).toEqual({ ...signal, clients: 2 });
      expect(await b.next()).toEqual({ ...signal, clients: 2 });
      c.sendRaw('{"type":"ping"}');
      expect(await c.next()).toEqual({ type: "pong" });
    });

    // Regression: two y-webrtc peers joining at once each received the other's announce, both started a connection,
    // and y-webrtc's glare handling could leave the two documents apart for good. As y-webrtc's own server reads
    // them, a newcomer's announce reaches those already there, and theirs (sent before it came) never reach it.
    it("sends an announce that follows its subscribe only to the subscribers before it", async () => {
      const ns = freshRoom("yw");
      const a = await subscribed(ns, ["doc"]);
      const b = await subscribed(ns, ["doc"]);
      a.send({ type: "publish", topic: "doc", data: { type: "announce", from: "peer-a" } });
      expect(await a.next()).toMatchObject({ data: { from: "peer-a" }, clients: 1 });
      b.send({ type: "publish", topic: "doc", data: { type: "announce", from: "peer-b" } });
      expect(await a.next()).toMatchObject({ data: { from: "peer-b" }, clients: 2 });
      expect(await b.next()).toMatchObject({ data: { from: "peer-b" }, clients: 2 });
      b.sendRaw('{"type":"ping","after":"announces"}');
      expect(await b.next()).toEqual({ type: "pong" });
    });

    it("keeps namespaces apart", async () => {
      const [a, b] = await Promise.all([subscribed(freshRoom("yw"), ["doc"]), subscribed(freshRoom("yw"), ["doc"])]);
      a.send({ type: "publish", topic: "doc", data: 1 });
      expect(await a.next()).toMatchObject({ data: 1, clients: 1 });
      b.sendRaw('{"type":"ping"}');
      expect(await b.next()).toEqual({ type: "pong" });
    });

    it("stops delivering a topic after unsubscribe, and after the subscriber leaves", async () => {
      const ns = freshRoom("yw");
      const [a, b, c] = await Promise.all([subscribed(ns, ["doc"]), subscribed(ns, ["doc"]), subscribed(ns, ["doc"])]);
      b.send({ type: "unsubscribe", topics: ["doc"] });
      c.close();
      await c.closed();
      // Both are seen by the room asynchronously: publish until the count says they have been, then once more.
      for (let i = 0; i < 50; i++) {
        a.send({ type: "publish", topic: "doc", data: i });
        const got = await a.next();
        if (got.clients !== 1) continue;
        a.send({ type: "publish", topic: "doc", data: "last" });
        expect(await a.next()).toMatchObject({ data: "last", clients: 1 });
        // What was sent to b before a heard "last" is ahead of the pong on b's socket.
        const pongs = b.received.filter((m: Frame) => m.type === "pong").length;
        b.sendRaw('{"type":"ping"}');
        await waitFor(() => b.received.filter((m: Frame) => m.type === "pong").length > pongs, "b's pong");
        return expect(b.received.some((m: Frame) => m.data === "last")).toBe(false);
      }
      throw new Error("the publisher never became the topic's only subscriber");
    });

    it("answers bad frames with an error the client ignores, and keeps the connection", async () => {
      const socket = await open(freshRoom("yw"));
      for (const frame of ["not json", "[]", '{"type":"publish"}', '{"type":"subscribe","topics":"doc"}']) {
        socket.sendRaw(frame);
        expect(await socket.next()).toMatchObject({ type: "error", code: expect.any(String) });
      }
      socket.sendRaw('{"type":"ping"}');
      expect(await socket.next()).toEqual({ type: "pong" });
    });
  });
}
