import { describe, expect, it } from "vitest";
import { act, facts, newRoom, register } from "../../../test/helpers/pure-room.js";

describe("the list a newcomer is answered with (kept between registrations)", () => {
  // `act` checks each answer's cached JSON against its `peers`; here `peers` is checked against the room itself,
  // through joins, clean leaves, drops, resumes and expiries in a random order.
  it("always lists every other registered or held id, once", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const room = newRoom();
    const live = new Map<string, string>(); // connection -> peer id
    const held = new Map<string, string>(); // peer id -> resume token
    const tokens = new Map<string, string>();
    let connections = 0;
    let now = facts.now;
    for (let step = 0; step < 2_000; step++) {
      const roll = random();
      if (roll < 0.5 || live.size === 0) {
        const connection = `c${connections++}`;
        const heldIds = [...held.keys()];
        const resume =
          heldIds.length > 0 && random() < 0.3 ? heldIds[Math.floor(random() * heldIds.length)] : undefined;
        const peerId = resume ?? `p${connections}`;
        const out = act(room, connection, register(peerId, resume ? { resumeToken: held.get(resume) } : {}));
        const answer = out.find(([to, e]) => to === connection && e.type === "registered")?.[1];
        if (answer?.type !== "registered") throw new Error(`no answer for ${peerId}: ${JSON.stringify(out)}`);
        const expected = [...live.values(), ...held.keys()].filter((id) => id !== peerId).sort();
        expect([...answer.peers].sort()).toEqual(expected);
        live.set(connection, peerId);
        held.delete(peerId);
        tokens.set(peerId, answer.resumeToken);
      } else if (roll < 0.7) {
        const [connection] = [...live][Math.floor(random() * live.size)] as [string, string];
        room.leave(connection, "clean", { ...facts, now });
        live.delete(connection);
      } else if (roll < 0.9) {
        const [connection, peerId] = [...live][Math.floor(random() * live.size)] as [string, string];
        room.leave(connection, "dropped", { ...facts, now });
        live.delete(connection);
        held.set(peerId, tokens.get(peerId) as string);
      } else {
        now += 60_000;
        room.expire({ ...facts, now });
        held.clear();
      }
    }
  });
});
