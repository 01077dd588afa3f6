import { expect, it } from "vitest";
import { registered } from "./ws-connect.js";

it("relays between two peers", async () => {
  const alice = await registered("alice", "smoke");
  const bob = await registered("bob", "smoke");
  alice.send({ type: "relay", to: "bob", data: { sdp: "x" } });
  expect(await bob.next()).toEqual({ type: "relay", from: "alice", data: { sdp: "x" } });
});
