/**
 * The pipeline's record of each connection, found in one lookup per message, and the state saved with it (the
 * attachment on Cloudflare) so that a wake knows the connection again: who it is, when it last spoke, how far its
 * relays were numbered. Saving is an attachment write, never storage.
 */

import type { Registration } from "../room/room.js";
import { ConnectionRecord, SEQ_BLOCK } from "./connection-record.js";
import type { ConnectionState } from "./connection-state.js";

/** Who a connection is, as the host learned it before accepting it. */
export interface Identity {
  /** Where it connected from; "" or absent when unknown. */
  address?: string;
  /** The only peer id it may register (its join token's `sub`). */
  subject?: string;
}

export interface ConnectionRecordsOptions<C> {
  /** The clock of the message being handled. */
  now: () => number;
  idleTimeoutMs: number;
  roomName: () => string;
  registrationOf: (connection: C) => Registration | undefined;
  save: (connection: C, state: ConnectionState) => void;
}

export class ConnectionRecords<C extends object> {
  readonly #records = new WeakMap<C, ConnectionRecord>();

  constructor(private readonly options: ConnectionRecordsOptions<C>) {}

  /** The connection's record; a connection met for the first time (a host that skipped `open`) gets a fresh one. */
  of(connection: C): ConnectionRecord {
    let record = this.#records.get(connection);
    if (!record) {
      record = new ConnectionRecord(this.options.now());
      this.#records.set(connection, record);
    }
    return record;
  }

  /** A new connection's record. Who it is is saved at once, so that a wake before it registers still knows. */
  open(connection: C, identity: Identity, now: number): ConnectionRecord {
    const record = this.#create(connection, now, undefined, identity);
    if (record.address !== "" || record.subject !== undefined) this.save(connection, now);
    return record;
  }

  /** The record of a connection kept across a wake, rebuilt from the state saved with it. */
  restore(connection: C, state: ConnectionState | undefined, now: number): ConnectionRecord {
    return this.#create(connection, state?.seen ?? now, state?.seq, state ?? {});
  }

  /**
   * A sign of life. Saved with the connection's state at most every quarter of the idle timeout, so that after a
   * wake a silent connection is still known to be silent.
   */
  seen(connection: C, record: ConnectionRecord, now: number): void {
    record.lastSeen = now;
    if (now - record.seenSaved > this.options.idleTimeoutMs / 4) this.save(connection, now);
  }

  save(connection: C, now: number): void {
    const record = this.of(connection);
    record.seenSaved = now;
    // Reserve the numbering ahead now, so that the first relays do not each cost a save of their own.
    if (record.sent.ceiling <= record.sent.seq) record.sent.ceiling = record.sent.seq + SEQ_BLOCK;
    const registration = this.options.registrationOf(connection);
    const seq = record.sent.ceiling;
    const state: ConnectionState = { room: this.options.roomName(), ...registration, seen: now };
    if (seq) state.seq = seq;
    if (record.address !== "") state.address = record.address;
    if (record.subject !== undefined) state.subject = record.subject;
    this.options.save(connection, state);
  }

  #create(connection: C, now: number, seq: number | undefined, identity: Identity): ConnectionRecord {
    const record = new ConnectionRecord(now, seq);
    record.address = identity.address ?? "";
    record.subject = identity.subject;
    this.#records.set(connection, record);
    return record;
  }
}
