/**
 * Resume tokens: the secret that lets a peer take its id back after its connection dropped. 128 random bits from
 * the platform's CSPRNG, base64url, compared in constant time so that timing says nothing of how close a guess is.
 */
const TOKEN_BYTES = 16;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function newResumeToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  let token = "";
  // 6 bits a character: 16 bytes are 21 characters and 2 bits, the last character carrying those 2.
  for (let bit = 0; bit < TOKEN_BYTES * 8; bit += 6) {
    const byte = bit >> 3;
    const offset = bit & 7;
    const pair = ((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0);
    token += ALPHABET[(pair >> (10 - offset)) & 63];
  }
  return token;
}

/** Whether `given` is `expected`, taking the same time wherever they differ (but not hiding the length). */
export function tokensEqual(given: string, expected: string): boolean {
  if (given.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return difference === 0;
}

export const RESUME_TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 8) / 6);
