/** Opens a `TestSocket` with the `ws` package, for Node tests and benchmarks (Node 20 has no global WebSocket). */
import WebSocket from "ws";
import { TestSocket, type TestSocketOptions } from "./test-socket.js";

export async function connectWs<M = import("../src/core/wire/protocol.js").ServerMessage>(
  url: string,
  options: TestSocketOptions<M> & { timeoutMs?: number } = {},
): Promise<TestSocket<M>> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const socket = new TestSocket<M>(
    {
      send: (frame) => ws.send(frame),
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
      ping: () => ws.ping(),
    },
    options,
  );
  ws.on("message", (data, isBinary) => {
    if (!isBinary) socket.deliver(String(data));
  });
  ws.on("close", (code) => socket.ended(code));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${url} did not open within ${options.timeoutMs ?? 15_000} ms`));
    }, options.timeoutMs ?? 15_000);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once("error", (error) => {
      clearTimeout(timer);
      socket.ended(1006);
      reject(error);
    });
  });
  // Errors after opening arrive as a close; an unheard error event would throw.
  ws.on("error", () => {});
  return socket;
}
