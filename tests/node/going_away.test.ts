import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryDriver } from "../../drivers/memory.ts";
import { serve } from "../../adapters/node.ts";
import { createClient, type SwitchyardError } from "../../src/client/mod.ts";
import { nextValues, registry } from "./_fixture.ts";

test("closing and reopening the listener: the client resumes its connection and gets the events it missed", async () => {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  let http = await serve(server, { port: 0 });
  const port = http.port;
  const client = createClient<typeof registry>(http.url, {
    transport: "websocket",
    reconnect: { initialDelay: 5, maxDelay: 50, jitter: 0, maxAttempts: 1000 },
  });
  try {
    await resumes();
  } finally {
    await client.dispose();
    await http.close();
    await server.shutdown();
  }

  async function resumes() {
    const conn = client.counter.getOrCreate(["going-away"]).connect();
    const errors: SwitchyardError[] = [];
    conn.onError((e) => errors.push(e));
    const events = nextValues<number>((l) => conn.on("changed", l), 3);
    const id = await conn.ready();
    assert.equal(await conn.increment(1), 1);

    await http.close(); // sockets closed with 1001
    assert.notEqual(conn.status, "open");
    // Events broadcast while nothing listens are kept for the dropped connection.
    await server.client.counter.getOrCreate(["going-away"]).increment(1);
    await server.client.counter.getOrCreate(["going-away"]).increment(1);
    http = await serve(server, { port });

    assert.deepEqual(await events, [1, 2, 3]);
    assert.equal(conn.id, id);
    assert.deepEqual(errors.map((e) => e.code), []);
  }
});
