/** The seam between the core and a host: what the pipeline needs of the host's connections. */
import type { ConnectionState } from "./connection-state.js";

/** `S`: what is kept with each connection (the seed protocol's `ConnectionState`, or another protocol's own). */
export interface Transport<C, S = ConnectionState> {
  /** Hands `text` to the connection; false when it could not (the connection is already closing). */
  send(connection: C, text: string): boolean;
  close(connection: C, code: number, reason: string): void;
  /** Keeps `state` with the connection across hibernation and eviction. */
  save(connection: C, state: S): void;
  /** The connections the host holds right now; asked only when the cached count says the room is full. */
  countConnections(): number;
  /** When the runtime last answered a keepalive on the connection by itself (ms), if it has. */
  lastAutoResponse(connection: C): number | undefined;
  /** Asks to be woken with `alarm()` at `at` (ms since the epoch), or not at all. */
  schedule(at: number | undefined): void;
}
