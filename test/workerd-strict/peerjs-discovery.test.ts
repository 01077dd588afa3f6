import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { freshRoom } from "../../tools/test-socket.js";
import { wsConnect } from "../workerd/ws-connect.js";

// This project runs with PEERJS_ALLOW_DISCOVERY = "true" (see vitest.config.ts).
describe("PEERJS_ALLOW_DISCOVERY", () => {
  it("lists the ids connected under a key, PeerJS's way, with CORS", async () => {
    const key = freshRoom("pj");
    for (const id of ["alice", "bob smith"]) {
      const socket = await wsConnect(`/peerjs/peerjs?key=${key}&id=${encodeURIComponent(id)}&token=t-${id.length}`);
      expect(await socket.next()).toEqual({ type: "OPEN" });
    }
    const response = await exports.default.fetch(`http://signal.test/peerjs/${key}/peers`, {
      headers: { Origin: "https://app.example.com" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(((await response.json()) as string[]).sort()).toEqual(["alice", "bob smith"]);
  });
});
