/**
 * Regression: a socket that stops reading was buffered for without limit and never closed (three of them grew the
 * server by 238 MiB in 30 s). Now it is dropped once it has been sent more than its outbound budget, and what is
 * sent to it afterwards is kept for it, bounded, like for any dropped peer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type DevServer, startNpmServer } from "../../tools/npm-server.js";
import { closeAll, register } from "../../tools/test-socket.js";
import { connectWs } from "../../tools/ws-node.js";

let server: DevServer;
beforeAll(async () => {
  server = await startNpmServer("npm run serve", {
    env: { OUTBOUND_BYTES_PER_SECOND: "262144", OUTBOUND_BURST_BYTES: "1048576" },
  });
}, 100_000);
afterAll(async () => {
  closeAll();
  await server?.stop();
});

describe("a socket that stops reading", () => {
  it("is dropped past its outbound budget, and relays to it are kept or refused, never buffered for ever", async () => {
    const url = `${server.wsUrl}/rooms/not-reading`;
    const sender = await register(await connectWs(url), "sender");
    const raw = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve) => raw.once("open", resolve));
    raw.on("error", () => {});
    raw.send(JSON.stringify({ type: "register", peer_id: "sink" }));
    await new Promise((resolve) => raw.once("message", resolve));
    raw.pause(); // reads nothing more: the kernel's buffers fill, then the server's would

    const chunk = "x".repeat(60_000);
    for (let i = 0; i < 40; i++) {
      sender.send({ type: "relay", to: "sink", data: chunk, request_id: `r${i}` });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await server.waitForOutput((o) => o.includes('"event":"outbound_budget_exceeded"'), "the sink to be dropped");
    // Every relay was handed over or kept (none refused as unknown): the sink is reserved, not gone.
    sender.send({ type: "list_peers", request_id: "list" });
    await expect.poll(() => sender.received.at(-1)).toMatchObject({ type: "peers", peers: ["sink"] });
    expect(sender.received.filter((m) => m.type === "error" && m.code !== "mailbox_full")).toEqual([]);
    raw.terminate();
  }, 30_000);
});
