/**
 * The demo server: a counter and a chat room on the memory driver.
 *
 *     npm install && npm run demo        # PORT=8080 by default
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { registry } from "./actors.ts";

const server = registry.createServer({ driver: memoryDriver(), cors: { origin: "*" } });
const port = Number(Deno.env.get("PORT") ?? 8080);
const http = Deno.serve({
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  port,
  onListen: ({ hostname, port }) => {
    const base = `http://${hostname}:${port}`;
    console.log(`switchyard demo listening on ${base}`);
    console.log(
      `try: curl -s -X POST ${base}/actors/actions/increment -H 'x-sy-query: {"getOrCreateForKey":{"name":"counter","key":["demo"]}}' -H 'content-type: application/json' -d '{"args":[1]}'`,
    );
  },
}, (request) => server.fetch(request));

Deno.addSignalListener("SIGINT", async () => {
  await server.shutdown();
  await http.shutdown();
  Deno.exit(0);
});
