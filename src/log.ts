/**
 * One JSON line per event, for Workers Logs and `wrangler tail`. Callers pass room, peer id and error codes; never
 * relayed `data`, which carries SDP and IP addresses.
 */
export type LogLevel = "info" | "warn" | "error";

export function logEvent(level: LogLevel, event: string, fields: Record<string, string | number | undefined>): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
