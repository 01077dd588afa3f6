/** PeerJS's routes: its WebSocket, a fresh id, and the peer list. */
import { isValidRoomName } from "../core/wire/protocol.js";
import { authorize, refusal, ungrantedBy } from "./checks.js";
import { connect } from "./connect.js";
import { endpointDisabled, jsonError, NO_STORE, notFound, type RouteContext, safeDecode } from "./http.js";
import { placedStub } from "./placement.js";

/**
 * PeerJS 1.5 clients, `new Peer(id, { host, port, path: "/peerjs", key })`: the WebSocket at `/peerjs/peerjs`, a
 * fresh id at `/peerjs/<key>/id`, and the peer list at `/peerjs/<key>/peers` when discovery is allowed. With join
 * tokens on, `path: "/peerjs/t/<jwt>"` carries the token (PeerJS's own `?token=` is its reconnect secret).
 */
export async function peerjs(context: RouteContext): Promise<Response> {
  let segments = context.pathname.slice("/peerjs/".length).split("/");
  if (segments[0] === "t" && segments.length >= 3) {
    context.pathToken = safeDecode(segments[1] ?? "");
    segments = segments.slice(2);
  } else if (context.config.auth) {
    context.pathToken = "";
  }
  const [first = "", second] = segments;
  if (first === "peerjs" && second === undefined) {
    const key = context.url.searchParams.get("key") ?? "";
    return connect(context, "peerjs", key, { keepQueryToken: true });
  }
  if (!context.config.endpoints.has("peerjs")) return endpointDisabled("peerjs");
  if (context.request.method !== "GET" || segments.length !== 2 || !isValidRoomName(safeDecode(first))) {
    return notFound(context.pathname);
  }
  const verdict = await authorize(context);
  if (verdict && !verdict.ok) return refusal(context, verdict);
  const key = safeDecode(first);
  const ungranted = verdict?.ok ? ungrantedBy(verdict, "peerjs", key) : undefined;
  if (ungranted) return jsonError(403, "forbidden", ungranted);
  if (second === "id") {
    // The original answers a fresh random id as text; a token's sub is the id its holder must use.
    const id = verdict?.ok && verdict.claims.sub !== undefined ? verdict.claims.sub : crypto.randomUUID();
    return new Response(id, { headers: { "content-type": "text/html", ...NO_STORE } });
  }
  if (second === "peers") {
    if (!context.config.peerjsAllowDiscovery) {
      return jsonError(401, "discovery_disabled", "listing peers is off here (PEERJS_ALLOW_DISCOVERY)");
    }
    const ids = await placedStub(context.env.PeerjsRooms, key, context.config).peerIds();
    return Response.json(ids, { headers: NO_STORE });
  }
  return notFound(context.pathname);
}
