/**
 * The only globals the platform-free core (src/core) may use, beyond the ECMAScript library: web-standard APIs
 * that workerd, browsers and Node all have. tsconfig.core.json type-checks the core against this file alone, so
 * a Cloudflare or Node API used there fails `npm run typecheck`.
 */
declare var console: {
  log(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare var crypto: {
  getRandomValues<T extends Uint8Array>(array: T): T;
};

declare class URL {
  constructor(url: string, base?: string);
  readonly origin: string;
}

declare class URLSearchParams {
  constructor(init?: string);
  get(name: string): string | null;
}
