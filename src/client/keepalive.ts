/**
 * The client's keepalive: every `intervalMs` it sends a ping (the exact text the server's runtime answers without
 * waking the room) and, if no pong comes back within `timeoutMs`, declares the connection dead. A TCP connection
 * that died silently is found this way; its close event may not come for minutes.
 */
export class Keepalive {
  #interval: ReturnType<typeof setInterval> | undefined;
  #awaitingPong: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  start(sendPing: () => void, onDead: () => void): void {
    this.stop();
    this.#interval = setInterval(() => {
      if (this.#awaitingPong) return;
      sendPing();
      this.#awaitingPong = setTimeout(() => {
        this.#awaitingPong = undefined;
        onDead();
      }, this.timeoutMs);
    }, this.intervalMs);
  }

  /** A pong (or any answer the server sent after the ping) arrived. */
  pong(): void {
    clearTimeout(this.#awaitingPong);
    this.#awaitingPong = undefined;
  }

  stop(): void {
    clearInterval(this.#interval);
    this.pong();
    this.#interval = undefined;
  }
}
