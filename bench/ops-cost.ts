/**
 * `npm run bench:ops`: what metrics and webhooks cost per call, counted on the self-hosted server (the same shell
 * as on Cloudflare). N calls run side by side, each in a room of its own: two seed clients register, trade an offer,
 * an answer and four candidates, hold the call for `--hold` seconds and leave. The directory's own counter says how
 * many reports the rooms sent and what sent them (an event, or the alarm that carried a burst's last change); the
 * receiver counts webhooks. Turned into Cloudflare's units by bench/cost-model.ts (opsCostPerCall). Loopback only,
 * bounded (about 20 s), stops by itself.
 *
 * Options: --calls=N (40) --hold=S (7)
 */

import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { wholeNumberOption } from "../tools/cli-options.js";
import { freePort } from "../tools/npm-server.js";
import { startServe } from "../tools/serve-process.js";
import { closeAll, register } from "../tools/test-socket.js";
import { connectWs } from "../tools/ws-node.js";
import { freePlanPerDay, opsCostPerCall } from "./cost-model.js";

const CALLS = wholeNumberOption("calls", 40);
const HOLD_S = wholeNumberOption("hold", 7);
const ADMIN = "an-ops-bench-admin-token-of-32-characters";

let webhooks = 0;
const receiver = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    webhooks++;
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const server = await startServe({
  port: await freePort(),
  dataDir: mkdtempSync(join(tmpdir(), "ops-cost-")),
  env: {
    ADMIN_TOKEN: ADMIN,
    WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
    WEBHOOK_SECRET: `whsec_${Buffer.from("an ops bench webhook secret 32 b").toString("base64")}`,
    PERSIST_REGISTRATIONS: "false",
  },
});
try {
  const ws = server.url.replace("http", "ws");
  const run = `${Date.now().toString(36)}`;
  await Promise.all(
    Array.from({ length: CALLS }, async (_, i) => {
      const room = `ops-${run}-${i}`;
      const alice = await register(await connectWs(`${ws}/rooms/${room}`), "alice");
      const bob = await register(await connectWs(`${ws}/rooms/${room}`), "bob");
      for (const kind of ["offer", "candidate", "candidate"]) alice.send({ type: "relay", to: "bob", data: { kind } });
      for (const kind of ["answer", "candidate", "candidate"]) bob.send({ type: "relay", to: "alice", data: { kind } });
      await new Promise((r) => setTimeout(r, HOLD_S * 1000));
      alice.close(1000, "bye");
      bob.close(1000, "bye");
    }),
  );
  // The last reports wait for their interval (5 s), the webhooks for their turn.
  await new Promise((r) => setTimeout(r, 7000));
  const text = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${ADMIN}` } })).text();
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  const reports = (trigger: string) =>
    Number(
      families.get("signal_metrics_reports_total")?.metrics.find((m) => m.labels?.trigger === trigger)?.value ?? 0,
    );
  const byEvent = reports("event");
  const byAlarm = reports("alarm");
  const measured = {
    calls: CALLS,
    holdSeconds: HOLD_S,
    reportsPerCall: (byEvent + byAlarm) / CALLS,
    alarmReportsPerCall: byAlarm / CALLS,
    webhooksPerCall: webhooks / CALLS,
  };
  const cost = opsCostPerCall(measured);
  console.log(
    JSON.stringify(
      {
        measured,
        perCall: cost,
        freePlan: {
          metrics: freePlanPerDay(cost.metrics),
          webhooks: freePlanPerDay(cost.webhooks),
        },
      },
      null,
      2,
    ),
  );
} finally {
  closeAll();
  await server.stop();
  receiver.close();
}
