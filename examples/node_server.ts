/**
 * The demo's actors on Node 22+: the registry of `actors.ts` (counter, chat
 * room, inboxes) served with the Node adapter on the kv driver, in the same
 * file format the Deno demo writes (`@deno/kv` on Node, `Deno.openKv` on
 * Deno): stop one, start the other on the same file, and the state is there.
 * One process at a time serves a file.
 *
 *     node examples/node_server.ts                      # http://127.0.0.1:8080, .switchyard/demo.kv
 *     PORT=0 node examples/node_server.ts               # a free port, printed
 *     DEMO_STATE_FILE=path/x.kv node examples/node_server.ts
 *     node examples/node_server.ts --memory             # nothing survives a restart
 *
 * It prints `switchyard on Node listening on <url>` and stops cleanly on
 * SIGINT or SIGTERM. The web page, the gateway and the message router's
 * `/messages` endpoint are part of the Deno demo (`npm run demo`).
 *
 * @module
 */
import process from "node:process";
import { serve } from "../adapters/node.ts";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { kvDriver } from "../drivers/kv.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { registry } from "./actors.ts";

const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer from 0 to 65535, got "${process.env.PORT}"`);
  process.exit(2);
}
const stateFile = process.env.DEMO_STATE_FILE ?? ".switchyard/demo.kv";
const memory = process.argv.includes("--memory");
if (!memory) mkdirSync(dirname(stateFile), { recursive: true });
const driver = memory ? memoryDriver() : await kvDriver({ path: stateFile });
const server = registry.createServer({ driver });
const http = await serve(server, { port, hostname: process.env.HOST ?? "127.0.0.1" });
console.log(`switchyard on Node listening on ${http.url}`);
console.log(memory ? "driver: memory (nothing persists)" : `driver: kv (state in ${stateFile})`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await http.close(); // open WebSockets close with 1001: clients reconnect elsewhere or later
  await server.shutdown();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
