/**
 * The control: the smallest Durable Object relay of the seed's protocol. Hibernation API, a Map, JSON parse and
 * stringify; no validation, no limits, no presence, no error handling. It is the runtime's ceiling for this
 * design, so the project's features can be priced against it.
 */
import { DurableObject } from "cloudflare:workers";

export class ControlPeers extends DurableObject {
  #peers = new Map<string, WebSocket>();

  override async fetch(): Promise<Response> {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const msg = JSON.parse(message as string);
    if (msg.type === "register") {
      this.#peers.set(msg.peer_id, ws);
      ws.serializeAttachment(msg.peer_id);
      ws.send(JSON.stringify({ type: "registered", peer_id: msg.peer_id }));
    } else if (msg.type === "relay") {
      this.#peers
        .get(msg.to)
        ?.send(JSON.stringify({ type: "relay", from: ws.deserializeAttachment(), data: msg.data }));
    } else if (msg.type === "list_peers") {
      ws.send(JSON.stringify({ type: "peers", peers: [...this.#peers.keys()] }));
    }
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    this.#peers.delete(ws.deserializeAttachment());
    ws.close(code === 1005 || code === 1006 ? 1000 : code);
  }
}

export default {
  fetch(request: Request, env: { Peers: DurableObjectNamespace }): Promise<Response> {
    const room = new URL(request.url).pathname;
    return env.Peers.get(env.Peers.idFromName(room)).fetch(request);
  },
};
