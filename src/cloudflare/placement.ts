/**
 * Where a room's Durable Object lives: inside `JURISDICTION` when set (a namespace's `jurisdiction("eu")`), and,
 * for an object not yet created, near the location hint its first join asks for or `LOCATION_HINT` names. A hint
 * only counts at an object's first `get` (later ones are ignored by the platform), so passing it every time is
 * harmless; a jurisdiction changes which object a name means, so it is the same for every route. The self-hosted
 * server and `npm start` hold every room in one process: there both are ignored.
 */
import type { Config, LocationHint } from "../core/config/config.js";

export function placedStub<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
  config: Pick<Config, "jurisdiction" | "locationHint" | "runtime">,
  asked?: LocationHint,
): DurableObjectStub<T> {
  if (config.runtime !== "cloudflare") return namespace.get(namespace.idFromName(name));
  const placed = config.jurisdiction ? namespace.jurisdiction(config.jurisdiction) : namespace;
  const locationHint = asked ?? config.locationHint;
  const id = placed.idFromName(name);
  return locationHint ? placed.get(id, { locationHint }) : placed.get(id);
}
