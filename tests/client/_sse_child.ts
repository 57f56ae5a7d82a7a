/**
 * Serves an actor with Deno.serve, opens an SSE connection to it, runs an
 * action and an event over it, then closes everything and prints "done".
 * `sse_warnings_test.ts` runs it in a subprocess and reads its stderr.
 *
 * @module
 */
import { actor, setup } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { createClient } from "../../src/client/mod.ts";

const counter = actor({
  onAuth: () => {},
  state: { count: 0 },
  actions: {
    increment: (c) => {
      c.broadcast("changed", ++c.state.count);
      return c.state.count;
    },
  },
});
const registry = setup({ use: { counter } });
const server = registry.createServer({ driver: memoryDriver() });
const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
const client = createClient<typeof registry>(`http://127.0.0.1:${http.addr.port}`, {
  transport: "sse",
});
const conn = client.counter.getOrCreate(["a"]).connect();
const changed = new Promise((resolve) => conn.on("changed", resolve));
await conn.ready();
await conn.increment();
await changed;
await client.dispose();
await server.shutdown();
await http.shutdown();
console.log("done");
