/**
 * One JSON line per event, for Workers Logs and `wrangler tail`. Callers pass room, peer id and error codes; never
 * relayed `data`, which carries SDP and IP addresses. Routine events that happen by the thousand (a client whose
 * network dropped) are `debug`, so that warnings mean something.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, string | number | undefined>;

export function logEvent(level: LogLevel, event: string, fields: LogFields): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else if (level === "debug") console.debug(line);
  else console.log(line);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
