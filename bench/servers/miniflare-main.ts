/**
 * Serves a Worker in workerd through Miniflare in its own process, so the benchmark can measure it apart from the
 * load generator. Usage: node --import tsx bench/servers/miniflare-main.ts <port> <entry> <className> [varsJson]
 */
import { startLocalWorker } from "../../tools/local-worker.js";

const [port, entry, className, varsJson] = process.argv.slice(2);
const worker = await startLocalWorker({
  port: Number(port),
  entry,
  className,
  vars: varsJson ? (JSON.parse(varsJson) as Record<string, string>) : {},
});
console.log(`READY ${worker.wsUrl}`);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
