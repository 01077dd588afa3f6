/** The seam between the client and a WebSocket implementation, and the URL of a room. */

/** What the client needs of a WebSocket: the browser's and the `ws` package's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
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
