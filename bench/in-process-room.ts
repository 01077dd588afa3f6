/** The project's front and seed room in this process, over a transport that only counts: for hot-path.ts and accept-path.ts. */

import type { Limits } from "../src/core/config/limits.js";
import { ConnectionFront } from "../src/core/connection/front.js";
import { seedCodec } from "../src/core/protocols/seed/codec.js";
import { MemoryReservationStore } from "../src/core/room/reservations.js";
import { RoomService, type RoomState } from "../src/core/room/room-service.js";

/**
 * A room with `limits`; `sent` counts the characters it sends, and `onSave` (none: saving costs nothing) sees each
 * attachment it saves.
 */
export function inProcessRoom<C extends object>(
  limits: Limits,
  sent: { chars: number },
  onSave: (attachment: unknown) => void = () => {},
): ConnectionFront<C, RoomState> {
  return new ConnectionFront<C, RoomState>({
    service: (outlet) =>
      new RoomService(outlet, {
        codec: seedCodec,
        revisionStore: { load: () => 0, save: () => {} },
        reservationStore: new MemoryReservationStore(),
      }),
    limits,
    name: "bench",
    transport: {
      send: (_to, text) => {
        sent.chars += text.length;
        return true;
      },
      close: () => {},
      save: (_c, attachment) => onSave(attachment),
      connections: () => [],
      lastAutoResponse: () => undefined,
      schedule: () => {},
    },
  });
}
