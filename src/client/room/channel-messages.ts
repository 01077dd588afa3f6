/**
 * Room messages on a data channel: JSON by default, strings and binary as they are, and anything larger than one
 * frame cut into chunks and put back together. A reliable, ordered channel keeps a message's chunks together, so
 * a frame needs only two bytes in front: what the message is, and whether this chunk is its last.
 */

/** The largest frame sent: 16 KiB is what every browser's data channel takes without splitting or refusing. */
export const CHUNK_BYTES = 16 * 1024;
const HEADER_BYTES = 2;

const JSON_KIND = 0;
const TEXT_KIND = 1;
const BINARY_KIND = 2;

/** What `send` takes: a JSON value, a string, or bytes. */
export type RoomMessage = unknown;

/** The frames of one message, in order. */
export function framesOf(data: RoomMessage): Uint8Array<ArrayBuffer>[] {
  let kind: number;
  let body: Uint8Array;
  if (typeof data === "string") {
    kind = TEXT_KIND;
    body = new TextEncoder().encode(data);
  } else if (data instanceof ArrayBuffer) {
    kind = BINARY_KIND;
    body = new Uint8Array(data);
  } else if (ArrayBuffer.isView(data)) {
    kind = BINARY_KIND;
    body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("room.send() takes a JSON value, a string or binary data");
    kind = JSON_KIND;
    body = new TextEncoder().encode(text);
  }
  const room = CHUNK_BYTES - HEADER_BYTES;
  const frames: Uint8Array<ArrayBuffer>[] = [];
  for (let at = 0; at === 0 || at < body.length; at += room) {
    const part = body.subarray(at, at + room);
    const frame = new Uint8Array(HEADER_BYTES + part.length);
    frame[0] = kind;
    frame[1] = at + room >= body.length ? 1 : 0;
    frame.set(part, HEADER_BYTES);
    frames.push(frame);
  }
  return frames;
}

/** Puts one peer's frames back together into messages; refuses one that grows past `maxBytes`. */
export class Reassembler {
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #skipping = false;

  constructor(private readonly maxBytes: number) {}

  /**
   * The message a frame completes, `undefined` while more are to come, or an `Error` for a frame that is not
   * ours or a message over the size limit (its remaining chunks are skipped).
   */
  add(frame: ArrayBuffer): { message: RoomMessage } | Error | undefined {
    const bytes = new Uint8Array(frame);
    const kind = bytes[0];
    const last = bytes[1] === 1;
    if (bytes.length < HEADER_BYTES || (kind !== JSON_KIND && kind !== TEXT_KIND && kind !== BINARY_KIND)) {
      return new Error("a frame that is no room message");
    }
    if (this.#skipping) {
      if (last) this.#skipping = false;
      return undefined;
    }
    this.#bytes += bytes.length - HEADER_BYTES;
    if (this.#bytes > this.maxBytes) {
      this.#reset();
      this.#skipping = !last;
      return new Error(`a message over the limit of ${this.maxBytes} bytes (maxMessageBytes): dropped`);
    }
    this.#parts.push(bytes.subarray(HEADER_BYTES));
    if (!last) return undefined;
    const body = concat(this.#parts, this.#bytes);
    this.#reset();
    if (kind === BINARY_KIND) return { message: body.buffer };
    const text = new TextDecoder().decode(body);
    if (kind === TEXT_KIND) return { message: text };
    try {
      return { message: JSON.parse(text) as unknown };
    } catch {
      return new Error("a JSON message that does not parse");
    }
  }

  #reset(): void {
    this.#parts = [];
    this.#bytes = 0;
  }
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
