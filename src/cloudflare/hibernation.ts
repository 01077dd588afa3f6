/**
 * What the WebSocket Hibernation API needs done just so: answering Close frames, sending to sockets that may be
 * going away, and the state kept in each socket's attachment. Small named functions, each with its reason.
 */

import type { Refusal } from "../core/connection/admission.js";
import type { Transport } from "../core/connection/transport.js";
import { describeError, type LogFields, logEvent } from "../core/log.js";
import { isAbruptCloseCode, isSendableCloseCode } from "../core/wire/close-codes.js";

/** The object's one alarm, set to `at` or deleted. */
export function alarmSetter(ctx: DurableObjectState): (at: number | undefined) => void {
  return (at) => {
    // Not awaited: the runtime orders storage operations and holds output until they are done.
    void (at === undefined ? ctx.storage.deleteAlarm() : ctx.storage.setAlarm(at));
  };
}

/** The front's view of the object's sockets; `schedule` asks for the object's alarm (shared: see alarms.ts). */
export function hibernationTransport(
  ctx: DurableObjectState,
  schedule: (at: number | undefined) => void,
): Transport<WebSocket> {
  return {
    send: sendQuietly,
    close: closeQuietly,
    save: (ws, attachment) => ws.serializeAttachment(attachment),
    // A socket the server closed stays in getWebSockets() until the client answers (if it ever does): not counted.
    connections: () => ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN),
    lastAutoResponse: (ws) => ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime(),
    schedule,
  };
}

/** Sends unless the socket is already closing; reports whether it was handed to the runtime. */
export function sendQuietly(ws: Pick<WebSocket, "send">, text: string): boolean {
  try {
    ws.send(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Answers the peer's Close frame: with the Hibernation API a socket left unanswered hangs in CLOSING on the client
 * until it times out (cloudflare/partykit#389). 1006 and 1015 mean no Close frame came and the transport is gone;
 * answering them schedules a write on a dead connection, which the runtime later rejects as an unhandled "Network
 * connection lost" (cloudflare/partykit#394). 1005 is answered (with 1000, as it may not be sent): it is a real
 * Close frame without a code, which is what `ws.close()` with no arguments sends, and its client waits for the
 * answer (10 s and a 1006 with the `ws` package when it was skipped).
 */
export function closeQuietly(ws: Pick<WebSocket, "close">, code: number, reason: string): void {
  if (isAbruptCloseCode(code)) return;
  try {
    ws.close(isSendableCloseCode(code) ? code : 1000, reason);
  } catch {
    // Already closed: nothing to answer.
  }
}

/**
 * Answers an upgrade the way the pipeline decided: a refusal as HTTP; a refusal said in a frame on a socket accepted
 * outside hibernation, so that the runtime completes the close at once (a hibernatable socket closed by the server
 * reached the client 10 s later); or the socket accepted for hibernation and handed to `accepted`.
 */
export function answerUpgrade(
  ctx: DurableObjectState,
  refusal: Refusal | undefined,
  accepted: (ws: WebSocket) => void,
): Response {
  if (refusal?.kind === "http") {
    const { status, code, error } = refusal;
    return Response.json({ ok: false, code, error }, { status, headers: { "retry-after": "60" } });
  }
  const { 0: client, 1: server } = new WebSocketPair();
  if (refusal) {
    server.accept();
    server.send(refusal.frame);
    server.close(refusal.code, refusal.reason);
  } else {
    ctx.acceptWebSocket(server);
    accepted(server);
  }
  return new Response(null, { status: 101, webSocket: client });
}

/** An upgrade that failed on the server's side: logged with `fields`, and answered as a 500 the client may retry. */
export function upgradeFailed(error: unknown, fields: LogFields): Response {
  logEvent("error", "upgrade_failed", { ...fields, error: describeError(error) });
  return Response.json(
    { ok: false, code: "internal_error", error: "could not open the connection; try again" },
    { status: 500 },
  );
}
