/**
 * End-to-end encryption of signals with a room secret: every relayed signal (SDP, candidates, anything sent) is
 * sealed with AES-GCM under a key derived from the secret and the room's name, so that the signaling server, and
 * anyone reading its logs, sees ciphertext only. WebCrypto alone: browsers and Node 20 alike.
 *
 * The sender and receiver ids and the room are bound to each ciphertext as additional data: a server that hands a
 * sealed signal to another peer, or into another room, than the one it was sealed for makes it fail to open.
 */

/** PBKDF2 rounds: a secret people choose is guessed offline at the cost of this many hashes per guess. */
export const SEAL_ITERATIONS = 100_000;
const SALT_PREFIX = "webrtc-signal/e2e/v1/";
const IV_BYTES = 12;

/** A sealed signal, as it travels in a relay's `data`. */
export interface Sealed {
  sealed: 1;
  /** The AES-GCM nonce, base64. */
  iv: string;
  /** The ciphertext of the signal's JSON, with its tag, base64. */
  ct: string;
}

export function isSealed(data: unknown): data is Sealed {
  if (typeof data !== "object" || data === null) return false;
  const { sealed, iv, ct } = data as Record<string, unknown>;
  return sealed === 1 && typeof iv === "string" && typeof ct === "string";
}

export class SignalSeal {
  private constructor(
    private readonly key: CryptoKey,
    private readonly room: string,
  ) {}

  /** The key for `room` from `secret` (PBKDF2-SHA-256, `SEAL_ITERATIONS` rounds, salted with the room's name). */
  static async derive(secret: string, room: string): Promise<SignalSeal> {
    const encoder = new TextEncoder();
    const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "PBKDF2", false, ["deriveKey"]);
    const key = await crypto.subtle.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(SALT_PREFIX + room), iterations: SEAL_ITERATIONS },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    return new SignalSeal(key, room);
  }

  async seal(data: unknown, from: string, to: string): Promise<Sealed> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const plain = new TextEncoder().encode(JSON.stringify(data));
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: this.#bound(from, to) },
      this.key,
      plain,
    );
    return { sealed: 1, iv: toBase64(iv), ct: toBase64(new Uint8Array(ct)) };
  }

  /** The signal inside, or undefined when it does not open: another secret, or tampered with on its way. */
  async open(sealed: Sealed, from: string, to: string): Promise<unknown> {
    try {
      const iv = fromBase64(sealed.iv);
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: this.#bound(from, to) },
        this.key,
        fromBase64(sealed.ct),
      );
      return JSON.parse(new TextDecoder().decode(plain)) as unknown;
    } catch {
      return undefined;
    }
  }

  #bound(from: string, to: string): Uint8Array<ArrayBuffer> {
    return new TextEncoder().encode(`${this.room}\n${from}\n${to}`);
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
