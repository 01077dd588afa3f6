/** The seam between the client and a WebSocket implementation, and the URL of a room. */

/**
 * An event handler whose parameter is checked both ways (a method's, not a function property's), so that the `ws`
 * package's handlers, typed with its own event classes, fit without a cast.
 */
type Handler<E> = { bivariant(event: E): void }["bivariant"];

/** What the client needs of a WebSocket: the browser's and the `ws` package's both fit, without a cast. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number }> | null;
  onerror: Handler<unknown> | null;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `base` plus the room's path; http(s) becomes ws(s). */
export function roomUrl(base: string, room?: string): string {
  const url = new URL(base);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  if (room !== undefined) url.pathname = `/rooms/${encodeURIComponent(room)}`;
  return url.toString();
}
