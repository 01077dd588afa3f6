import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Peers } from "../../src/cloudflare/objects.js";
import { freshRoom, peerIdOf, registered } from "../workerd/ws-connect.js";

// This project runs with 20 messages/s, bursts of 20, and a 1 s abuse window (see vitest.config.ts).
describe("sustained rate abuse", () => {
  it("answers each message over the rate, then closes a socket still over it after the window with 1008", async () => {
    const room = freshRoom("abuse");
    const abuser = await registered("abuser", room);
    const bystander = await registered("bystander", room);
    let closedWith: number | undefined;
    abuser.closed().then((code) => {
      closedWith = code;
    });
    // About 100 messages/s, five times the rate, for at most 5 s.
    for (let i = 0; i < 50 && closedWith === undefined; i++) {
      for (let j = 0; j < 10; j++) abuser.send({ type: "list_peers" });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(closedWith).toBe(1008);
    expect(abuser.received.some((m) => m.type === "error" && m.code === "rate_limited")).toBe(true);
    bystander.send({ type: "list_peers" });
    expect(await bystander.next()).toMatchObject({ type: "peers", peers: [] });
    // Regression: the closed socket's attachment kept its registration, so if its client never answered the Close
    // frame, a wake brought the abuser back as a registered ghost holding the id.
    const held = await runInDurableObject(env.Peers.get(env.Peers.idFromName(room)), (_i: Peers, state) =>
      state.getWebSockets().map((ws) => peerIdOf(ws)),
    );
    expect(held).not.toContain("abuser");
  });
});
