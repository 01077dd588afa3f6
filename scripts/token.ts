/**
 * Mints a development join token from `.dev.vars` (the AUTH_SECRET that `npm start` reads):
 *
 *   npm run token -- --sub alice --room demo --ttl 3600
 *
 * Prints the token, and on stderr a demo link that uses it. `--room` takes a name, names separated by commas, or
 * `*`; `--endpoint` the endpoints it opens (`seed`, the default, `y-webrtc`, `peerjs`, `webtorrent`, a list, or `*`);
 * `--vars <file>` reads another file. In production, mint tokens in your own backend (README: "Going to
 * production").
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ENDPOINTS, MIN_AUTH_SECRET_LENGTH } from "../src/core/config/config.js";
import { isValidPeerId, isValidRoomName } from "../src/core/wire/protocol.js";

function fail(message: string): never {
  console.error(`token: ${message}`);
  process.exit(1);
}

/** KEY=value lines, as wrangler reads .dev.vars; quotes around a value are dropped. */
export function readDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith("#")) continue;
    const [, key, raw = ""] = match;
    vars[key as string] = raw.replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    room: { type: "string", default: "*" },
    endpoint: { type: "string" },
    ttl: { type: "string", default: "3600" },
    vars: { type: "string", default: ".dev.vars" },
  },
});

const vars = existsSync(values.vars) ? readDevVars(readFileSync(values.vars, "utf8")) : {};
const secret = process.env.AUTH_SECRET || vars.AUTH_SECRET;
if (!secret) {
  fail(
    `no AUTH_SECRET in ${values.vars} or the environment. Make one and restart npm start:\n` +
      `  echo "AUTH_SECRET=$(openssl rand -base64 32)" >> .dev.vars`,
  );
}
if (secret.length < MIN_AUTH_SECRET_LENGTH) fail(`AUTH_SECRET must be at least ${MIN_AUTH_SECRET_LENGTH} characters`);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail(`--ttl must be a whole number of seconds, got ${values.ttl}`);
if (values.sub !== undefined && !isValidPeerId(values.sub)) fail(`--sub must be a valid peer id, got ${values.sub}`);
const rooms = values.room === "*" ? "*" : values.room.split(",").map((r) => r.trim());
if (rooms !== "*" && !rooms.every(isValidRoomName)) fail(`--room must be room names or *, got ${values.room}`);

const endpoints = values.endpoint === undefined ? undefined : values.endpoint.split(",").map((e) => e.trim());
if (endpoints && !endpoints.every((e) => e === "*" || (ENDPOINTS as readonly string[]).includes(e))) {
  fail(`--endpoint must name some of ${ENDPOINTS.join(", ")}, or *, got ${values.endpoint}`);
}
const claims: Record<string, unknown> = { room: Array.isArray(rooms) && rooms.length === 1 ? rooms[0] : rooms };
if (endpoints) claims.endpoint = endpoints.length === 1 ? endpoints[0] : endpoints;
const jwt = new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256" })
  .setIssuedAt()
  .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
if (values.sub !== undefined) jwt.setSubject(values.sub);
const issuer = process.env.AUTH_ISSUER || vars.AUTH_ISSUER;
const audience = process.env.AUTH_AUDIENCE || vars.AUTH_AUDIENCE;
if (issuer) jwt.setIssuer(issuer);
if (audience) jwt.setAudience(audience);
const token = await jwt.sign(new TextEncoder().encode(secret));

console.log(token);
const demoRoom = Array.isArray(rooms) ? rooms[0] : "lobby";
console.error(`valid ${ttl} s. Demo: http://localhost:8787/#room=${demoRoom}&join=1&token=${token}`);
