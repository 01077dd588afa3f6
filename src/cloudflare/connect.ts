/**
 * The one join: the checks every WebSocket connection passes in the Worker before it reaches its Durable Object,
 * whatever its protocol (the name, the upgrade, the subprotocol, new connections per address, the join token, its
 * room and its endpoint), then the upgrade forwarded to the object that holds that room, namespace or key.
 */
import { type Endpoint, isLocationHint, LOCATION_HINTS } from "../core/config/config.js";
import { logEvent } from "../core/log.js";
import { isValidRoomName, SUBPROTOCOL } from "../core/wire/protocol.js";
import { offeredProtocols, protocolProblem } from "./auth.js";
import { authorize, mayConnect, redactedPath, refusal, ungrantedBy } from "./checks.js";
import { clientAddress } from "./client-address.js";
import { endpoints } from "./endpoints.js";
import { ADDRESS_HEADER, NAME_HEADER, SUBJECT_HEADER } from "./forwarded.js";
import { endpointDisabled, invalidRoom, jsonError, type RouteContext } from "./http.js";
import { liveObjects } from "./live-objects.js";
import { countRefusal } from "./metrics-routes.js";
import { placedStub } from "./placement.js";

/**
 * Every check a connection passes before it reaches its object; then what the Worker learned goes on in headers a
 * client cannot set. `keepQueryToken`: the query's `token` is the protocol's own (PeerJS), not a join token.
 * `grantedAs`: the name a token's room claim must grant, when it is not the object's (a lobby's, not `chess.2`).
 */
export async function connect(
  context: RouteContext,
  endpoint: Endpoint,
  name: string,
  options: { keepQueryToken?: boolean; grantedAs?: string } = {},
): Promise<Response> {
  const { request, env, config, upgrade, url } = context;
  if (!config.endpoints.has(endpoint)) return endpointDisabled(endpoint);
  if (!isValidRoomName(name)) return invalidRoom();
  if (!upgrade) {
    return jsonError(426, "upgrade_required", "this is a WebSocket endpoint: connect with a WebSocket client");
  }
  if (request.method !== "GET") return jsonError(405, "method_not_allowed", "a WebSocket upgrade must be a GET");
  if (liveObjects.stopping) {
    return jsonError(503, "restarting", "the server is restarting; connect again in a moment", { "retry-after": "2" });
  }
  const badProtocol = protocolProblem(request);
  if (badProtocol) {
    countRefusal(context, endpoint, "bad_request");
    return jsonError(400, "bad_request", badProtocol);
  }
  const location = url.searchParams.get("location") ?? undefined;
  if (location !== undefined && !isLocationHint(location)) {
    countRefusal(context, endpoint, "bad_request");
    return jsonError(400, "bad_request", `location must be one of ${LOCATION_HINTS.join(", ")}`);
  }
  const address = clientAddress(request, config);
  if (!(await mayConnect(env, config, address))) {
    countRefusal(context, endpoint, "address");
    logEvent("warn", "connection_rate_exceeded", { room: name, path: redactedPath(url) });
    return jsonError(429, "too_many_connections", "too many new connections from this address; try again in a minute", {
      "retry-after": "60",
    });
  }
  const verdict = await authorize(context);
  if (verdict && !verdict.ok) {
    countRefusal(context, endpoint, "token");
    return refusal(context, verdict);
  }
  if (verdict?.ok) {
    const ungranted = ungrantedBy(verdict, endpoint, options.grantedAs ?? name);
    if (ungranted) {
      countRefusal(context, endpoint, "token");
      logEvent("info", "join_refused", { room: name, code: "forbidden", path: redactedPath(url) });
      return jsonError(403, "forbidden", ungranted);
    }
  }
  // The object reads these and nothing else of the request: built fresh rather than copied from the client's (a
  // copy, then a delete and three sets, were a fifth of the Worker's time per connection), so no header a client
  // sends can reach it, the subject header included.
  const headers: Record<string, string> = { upgrade: "websocket", [ADDRESS_HEADER]: address, [NAME_HEADER]: name };
  if (verdict?.ok && verdict.claims.sub !== undefined) headers[SUBJECT_HEADER] = verdict.claims.sub;
  let forwardUrl = url;
  if (!options.keepQueryToken && url.searchParams.has("token")) {
    forwardUrl = new URL(url);
    forwardUrl.searchParams.delete("token");
  }
  const stub = placedStub(env[endpoints[endpoint].binding], name, config, location);
  const response = await stub.fetch(forwardUrl, { headers });
  if (response.status !== 101 || !offeredProtocols(request).includes(SUBPROTOCOL)) return response;
  // A client that offers subprotocols fails unless one is named; never the bearer one (it is the token).
  return new Response(null, {
    status: 101,
    webSocket: response.webSocket,
    headers: { "Sec-WebSocket-Protocol": SUBPROTOCOL },
  });
}
