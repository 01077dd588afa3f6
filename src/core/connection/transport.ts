/** The seam between the core and a host: what the front needs of the host's connections. */
import type { Attachment } from "./attachment.js";

export interface Transport<C> {
  /** Hands `text` to the connection; false when it could not (the connection is already closing). */
  send(connection: C, text: string): boolean;
  close(connection: C, code: number, reason: string): void;
  /** Keeps `attachment` with the connection across hibernation and eviction. */
  save(connection: C, attachment: Attachment): void;
  /** The connections the host holds open right now (not those it is closing). */
  connections(): C[];
  /** When the runtime last answered a keepalive on the connection by itself (ms), if it ever has. */
  lastAutoResponse(connection: C): number | undefined;
  /** Asks to be woken with `alarm()` at `at` (ms since the epoch), or not at all. */
  schedule(at: number | undefined): void;
}
