/**
 * Where a request comes from, for the per-address limits. Only what the platform vouches for is believed: on
 * Cloudflare, `CF-Connecting-IP`, which Cloudflare sets and a client cannot; on the self-hosted server, the TCP
 * peer's address, which workerd hands the Worker as `request.cf.clientIp`; behind a reverse proxy, the header named
 * by `CLIENT_ADDRESS_HEADER` alone (its last entry, for `X-Forwarded-For`: the one the proxy itself added). A
 * `CF-Connecting-IP` that a client sends anywhere but Cloudflare is never believed. Under `wrangler dev` nothing
 * says who the client is, so no address is known and the per-address limits do not apply.
 */
import type { Config } from "../core/config/config.js";
import { MAX_ADDRESS_LENGTH } from "../core/connection/attachment.js";
import { logEvent } from "../core/log.js";

/** What an IPv4 or IPv6 address (with an IPv4 tail, or a zone) is written with. */
const ADDRESS = /^[0-9A-Za-z:.%-]+$/;

let warnedOfProxy = false;

/** The client's address, or "" when nothing trustworthy says it. */
export function clientAddress(request: Request, config: Pick<Config, "clientAddressHeader" | "runtime">): string {
  const header = config.clientAddressHeader;
  if (header !== undefined) {
    const value = request.headers.get(header) ?? "";
    return plausible(header === "x-forwarded-for" ? (value.split(",").at(-1) ?? "") : value);
  }
  if (config.runtime === "cloudflare") return plausible(request.headers.get("CF-Connecting-IP") ?? "");
  if (config.runtime === "wrangler-dev") return "";
  const peer = (request.cf as { clientIp?: unknown } | undefined)?.clientIp;
  if (!warnedOfProxy && (request.headers.has("x-forwarded-for") || request.headers.has("x-real-ip"))) {
    warnedOfProxy = true;
    logEvent("warn", "proxy_address_ignored", {
      error:
        "requests arrive through a proxy: set CLIENT_ADDRESS_HEADER to the header it sets, or every client shares its address",
    });
  }
  return typeof peer === "string" ? plausible(withoutPort(peer)) : "";
}

/** `127.0.0.1:5432` or `[::1]:5432` without the port. */
function withoutPort(peer: string): string {
  if (peer.startsWith("[")) return peer.slice(1, peer.indexOf("]"));
  const colon = peer.lastIndexOf(":");
  return colon > 0 && peer.indexOf(":") === colon ? peer.slice(0, colon) : peer;
}

function plausible(value: string): string {
  const address = value.trim();
  return address.length <= MAX_ADDRESS_LENGTH && ADDRESS.test(address) ? address : "";
}
