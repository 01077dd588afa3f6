/**
 * A WebSocket proxy on loopback that cuts connections the way a network does, with a frame in flight: a frame it
 * picks (by chance, among those `eligible`) is swallowed, and both sides of its connection are dropped at once,
 * without a Close frame, so each sees 1006 and neither knows whether the other got what it sent last. Closes pass
 * through with their codes (1012 from a server restarting), and while the server is down an upgrade is answered
 * 502, as a proxy in front of a restarting server answers. For the soak, the storm and the chaos harness.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer } from "ws";

export type Direction = "up" | "down";

export interface CutProxyOptions {
  /** Where to forward to: `ws://127.0.0.1:<port>`; a request's path and query are kept. */
  upstream: string;
  /** The chance that an eligible frame is swallowed and its connection cut (0: never, until `cutChance` is set). */
  cutChance?: number;
  /** Which frames may be cut with: by default relays, both ways (`"type":"relay"`). */
  eligible?: (text: string, direction: Direction) => boolean;
  random?: () => number;
}

export interface CutProxy {
  /** ws://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Connections cut so far, by the direction of the frame swallowed. */
  readonly cuts: Record<Direction, number>;
  /** Upgrades answered 502 because the server did not take them (it was down). */
  readonly refused: number;
  /** Open connections. */
  readonly open: number;
  cutChance: number;
  /** Cuts every open connection now (each swallows whatever it was about to pass). */
  cutAll(): number;
  close(): Promise<void>;
}

const isRelay = (text: string) => text.includes('"type":"relay"');

/** Close codes that may be sent in a Close frame (RFC 6455 section 7.4.1); others are passed on as a drop. */
const sendable = (code: number) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || code >= 3000;

export async function startCutProxy(options: CutProxyOptions): Promise<CutProxy> {
  const random = options.random ?? Math.random;
  const eligible = options.eligible ?? isRelay;
  const cuts: Record<Direction, number> = { up: 0, down: 0 };
  let refused = 0;
  const pairs = new Set<{ client: WebSocket; server: WebSocket }>();
  // The subprotocol the server picked, answered to the client as its own.
  const picked = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, request) => picked.get(request) || false,
  });
  const http = createServer((_request, response) => {
    response.writeHead(426).end("WebSocket only");
  });
  const state = { cutChance: options.cutChance ?? 0 };

  http.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const protocols = String(request.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    const headers: Record<string, string> = {};
    if (request.headers.origin) headers.Origin = request.headers.origin;
    const server = new WebSocket(`${options.upstream}${request.url ?? "/"}`, protocols, {
      headers,
      perMessageDeflate: false,
    });
    // What the server says before the client is taken on waits for it.
    const early: Array<{ data: WebSocket.RawData; binary: boolean }> = [];
    server.on("message", (data, binary) => early.push({ data, binary }));
    server.once("unexpected-response", (_req, response) => {
      // The server's own refusal (401, 403, 429, 503), passed on as it came.
      socket.end(`HTTP/1.1 ${response.statusCode} ${response.statusMessage}\r\nConnection: close\r\n\r\n`);
      response.resume();
    });
    server.once("error", () => {
      if (server.readyState === WebSocket.OPEN) return;
      refused++;
      socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    server.once("open", () => {
      picked.set(request, server.protocol);
      wss.handleUpgrade(request, socket, head, (client) => {
        const pair = { client, server };
        pairs.add(pair);
        const cut = (direction: Direction) => {
          cuts[direction]++;
          client.terminate();
          server.terminate();
        };
        const pass = (from: Direction, to: WebSocket) => (data: WebSocket.RawData, binary: boolean) => {
          const text = binary ? "" : String(data);
          if (!binary && state.cutChance > 0 && eligible(text, from) && random() < state.cutChance) {
            cut(from);
            return;
          }
          if (to.readyState === WebSocket.OPEN) to.send(binary ? data : text, { binary });
        };
        server.removeAllListeners("message");
        server.on("message", pass("down", client));
        client.on("message", pass("up", server));
        for (const { data, binary } of early.splice(0)) pass("down", client)(data, binary);
        const passClose = (to: WebSocket) => (code: number, reason: Buffer) => {
          pairs.delete(pair);
          if (to.readyState !== WebSocket.OPEN) return;
          if (sendable(code)) to.close(code, reason.toString());
          else to.terminate();
        };
        server.on("close", passClose(client));
        client.on("close", passClose(server));
        client.on("error", () => server.terminate());
        server.on("error", () => client.terminate());
      });
    });
  });

  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    cuts,
    get refused() {
      return refused;
    },
    get open() {
      return pairs.size;
    },
    get cutChance() {
      return state.cutChance;
    },
    set cutChance(value: number) {
      state.cutChance = value;
    },
    cutAll() {
      const count = pairs.size;
      for (const { client, server } of pairs) {
        client.terminate();
        server.terminate();
      }
      pairs.clear();
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, server } of pairs) {
          client.terminate();
          server.terminate();
        }
        pairs.clear();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
