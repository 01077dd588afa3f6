import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { yWebrtcConformance } from "../conformance/y-webrtc-suite.js";
import { wsConnect } from "./ws-connect.js";

yWebrtcConformance("the Workers test pool", { connect: wsConnect, ordersBursts: false });

describe("the y-webrtc route", () => {
  it("serves the default namespace at /y-webrtc, and refuses a bad namespace or a plain GET", async () => {
    const root = await exports.default.fetch("http://signal.test/y-webrtc", { headers: { Upgrade: "websocket" } });
    expect(root.status).toBe(101);
    root.webSocket?.accept();
    root.webSocket?.close(1000, "done");
    const bad = await exports.default.fetch("http://signal.test/y-webrtc/a%20b", { headers: { Upgrade: "websocket" } });
    expect(bad.status).toBe(400);
    expect((await exports.default.fetch("http://signal.test/y-webrtc/ns")).status).toBe(426);
  });
});
