/**
 * After a deploy: is the server up, and does a client get through? `GET /health` must answer `{"ok":true}`, then
 * two WebSocket clients register in a fresh room and relay to each other. With join tokens on, pass the deploy's
 * AUTH_SECRET in the environment and a token is minted for the check's room.
 *
 *   npx tsx scripts/check-deploy.ts https://webrtc-signal.<you>.workers.dev
 *
 * Exits 0 when all of it works, 1 saying what did not (the deploy workflow runs it after each deploy).
 */
import { SignJWT } from "jose";
import WebSocket from "ws";

const base = process.argv[2];
if (!base) {
  console.error("usage: check-deploy <https://your-worker-url>");
  process.exit(1);
}
const fail = (what: string): never => {
  console.error(`check-deploy: ${what}`);
  process.exit(1);
};

const health = await fetch(new URL("/health", base)).catch((error: Error) => fail(`GET /health: ${error.message}`));
const body = (await health.json().catch(() => undefined)) as { ok?: unknown } | undefined;
if (health.status !== 200 || body?.ok !== true) fail(`GET /health answered ${health.status} ${JSON.stringify(body)}`);
console.log("GET /health: ok");

const room = `deploy-check-${Date.now().toString(36)}`;
const secret = process.env.AUTH_SECRET;
const token = secret
  ? await new SignJWT({ room })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(secret))
  : undefined;
const url = new URL(`/rooms/${room}`, base);
url.protocol = url.protocol === "http:" ? "ws:" : "wss:";

function client(peerId: string): Promise<{ ws: WebSocket; next(): Promise<{ type?: string; data?: unknown }> }> {
  const ws = new WebSocket(url, token ? ["webrtc-signal", `bearer.${token}`] : ["webrtc-signal"]);
  const queue: Array<{ type?: string }> = [];
  const waiting: Array<(m: { type?: string }) => void> = [];
  ws.on("message", (data) => {
    const message = JSON.parse(String(data)) as { type?: string };
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const next = () =>
    new Promise<{ type?: string }>((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      waiting.push(resolve);
      setTimeout(() => reject(new Error(`no answer for ${peerId} within 10 s`)), 10_000).unref();
    });
  return new Promise((resolve, reject) => {
    ws.on("unexpected-response", (_request, response) =>
      reject(
        new Error(
          `the upgrade was refused with HTTP ${response.statusCode}${secret ? "" : " (join tokens on? set AUTH_SECRET)"}`,
        ),
      ),
    );
    ws.on("error", reject);
    ws.on("open", async () => {
      ws.send(JSON.stringify({ type: "register", peer_id: peerId }));
      const answer = await next().catch(reject);
      if (answer?.type !== "registered") reject(new Error(`${peerId} was answered ${JSON.stringify(answer)}`));
      else resolve({ ws, next });
    });
  });
}

try {
  const alice = await client("alice");
  const bob = await client("bob");
  alice.ws.send(JSON.stringify({ type: "relay", to: "bob", data: "deploy check" }));
  const relayed = await bob.next();
  if (relayed.type !== "relay" || relayed.data !== "deploy check") fail(`bob got ${JSON.stringify(relayed)}`);
  alice.ws.close(1000);
  bob.ws.close(1000);
  console.log(`WebSocket: two clients registered in ${room} and relayed: ok`);
} catch (error) {
  fail(`WebSocket: ${(error as Error).message}`);
}
