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
  /** HMAC alone, for signing webhooks. */
  subtle: {
    importKey(
      format: "raw",
      key: Uint8Array,
      algorithm: { name: "HMAC"; hash: "SHA-256" },
      extractable: boolean,
      usages: "sign"[],
    ): Promise<unknown>;
    sign(algorithm: "HMAC", key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  };
};

declare function btoa(data: string): string;
declare function atob(data: string): string;

declare var AbortSignal: { timeout(ms: number): unknown };

/** What the webhook outbox reads of an answer. */
interface CoreResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly body: { cancel(): Promise<void> } | null;
}

declare function fetch(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: unknown },
): Promise<CoreResponse>;

declare class URL {
  constructor(url: string, base?: string);
  readonly origin: string;
  readonly protocol: string;
}

declare class URLSearchParams {
  constructor(init?: string);
  get(name: string): string | null;
}
