import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Peers } from "../../src/cloudflare/objects.js";
import { freshRoom, registered, waitFor, wsConnect } from "../workerd/ws-connect.js";

// This project runs with RESUME_GRACE_SECONDS = 1 and MAX_PEERS_PER_ROOM = 50 (see vitest.config.ts).
const stubOf = (room: string) => env.Peers.get(env.Peers.idFromName(room));

/** What the room holds: its sockets, and its reservation and mailbox rows. */
function inventory(room: string) {
  return runInDurableObject(stubOf(room), (_instance: Peers, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((t) => t.name);
    const count = (table: string) =>
      tables.includes(table) ? state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n : 0;
    return {
      sockets: state.getWebSockets().length,
      reservations: count("reservations"),
      mailbox: count("mailbox"),
      tables: tables.filter((name) => !name.startsWith("_cf_") && !name.startsWith("sqlite_")),
    };
  });
}

describe("churn", () => {
  it("leaves no sockets, reservations or mailbox rows behind, and the room fills to exactly its limit", async () => {
    const room = freshRoom("churn");
    const anchor = await registered("anchor", room);
    // 400 cycles here, where the rows can be counted (the test pool's own sockets slow down as they pile up);
    // test/node/churn.test.ts runs thousands against workerd directly.
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 40 }, (_, i) => registered(`peer-${round}-${i}`, room)));
      // Relays to peers about to go, some of which are kept for the ones that drop.
      for (const [i] of batch.entries()) anchor.send({ type: "relay", to: `peer-${round}-${i}`, data: round });
      // Three in four say goodbye; one in four drops (4000: not a goodbye), leaving a reservation.
      for (const [i, socket] of batch.entries()) socket.close(i % 4 === 0 ? 4000 : 1000, "churn");
      await Promise.all(batch.map((socket) => socket.closed()));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the grace period
    await runDurableObjectAlarm(stubOf(room)); // if it has not run by itself yet
    await waitFor(() => anchor.received.some((m) => m.type === "error" && m.code === "undeliverable"), "undeliverable");
    anchor.close();
    await anchor.closed();
    await expect.poll(() => inventory(room)).toEqual({ sockets: 0, reservations: 0, mailbox: 0, tables: [] });

    const full = await Promise.all(Array.from({ length: 50 }, (_, i) => registered(`final-${i}`, room)));
    expect(full).toHaveLength(50);
    const late = await wsConnect(`/rooms/${room}`);
    expect(await late.next()).toMatchObject({ type: "error", code: "room_full" });
  }, 60_000);
});

describe("a room that empties", () => {
  // Found by an adversarial run: 2,000 rooms opened at 154/s left 2,000 SQLite databases behind, never deleted.
  it("deletes its storage, and starts its revision again when it is next used", async () => {
    const room = freshRoom("empties");
    const alice = await registered("alice", room);
    const bob = await registered("bob", room, { presence: true });
    expect((await inventory(room)).tables).toContain("room_meta");
    alice.close(1000);
    bob.close(1000);
    await Promise.all([alice.closed(), bob.closed()]);
    await expect.poll(() => inventory(room)).toMatchObject({ sockets: 0, tables: [] });

    // Used again at once: what it writes now is kept (a drop leaves a reservation) until it empties again.
    const carol = await registered("carol", room);
    expect(carol.received[0]).toMatchObject({ type: "registered", rev: 1 });
    carol.close(4000, "dropped");
    await carol.closed();
    await expect.poll(() => inventory(room)).toMatchObject({ reservations: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the grace period
    await runDurableObjectAlarm(stubOf(room));
    await expect.poll(() => inventory(room)).toEqual({ sockets: 0, reservations: 0, mailbox: 0, tables: [] });
  });
});
