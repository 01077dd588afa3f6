/**
 * Resume tokens: the secret that lets a peer take its id back after its connection dropped. 128 random bits from
 * the platform's CSPRNG, base64url, compared in constant time so that timing says nothing of how close a guess is.
 */
const TOKEN_BYTES = 16;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Random bytes for 64 tokens, drawn from the CSPRNG at once: one call into the platform per 64 registrations
 * rather than one each (a join's largest single cost after its answer). Each token's bytes are zeroed once used.
 */
const pool = new Uint8Array(TOKEN_BYTES * 64);
let used = pool.length;

export function newResumeToken(): string {
  if (used === pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const start = used;
  used += TOKEN_BYTES;
  let token = "";
  // 6 bits a character: 16 bytes are 21 characters and 2 bits, the last character carrying those 2.
  for (let bit = 0; bit < TOKEN_BYTES * 8; bit += 6) {
    const byte = start + (bit >> 3);
    const offset = bit & 7;
    const next = byte + 1 < start + TOKEN_BYTES ? (pool[byte + 1] as number) : 0;
    const pair = ((pool[byte] as number) << 8) | next;
    token += ALPHABET[(pair >> (10 - offset)) & 63];
  }
  pool.fill(0, start, used);
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

const TOKEN_SHAPE = new RegExp(`^[A-Za-z0-9_-]{${RESUME_TOKEN_LENGTH}}$`);

/** Whether `token` has a resume token's shape (as many base64url characters as 128 bits take), whoever drew it. */
export function isResumeTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}
