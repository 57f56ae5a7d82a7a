import assert from "node:assert/strict";
import { actor, setup } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { createClient, type SwitchyardError } from "../../src/client/mod.ts";
import { startRelay } from "../_tcp_relay.ts";

const EVENT_SIZE = 128 * 1024;
const feed = actor({
  onAuth: () => {},
  state: { sent: 0 },
  actions: {
    flood: (c, count: number) => {
      for (let i = 0; i < count; i++) c.broadcast("chunk", ++c.state.sent, "x".repeat(EVENT_SIZE));
      return c.state.sent;
    },
  },
  options: { maxBufferedBytes: 256 * 1024, eventBufferSize: 256, heartbeatTimeout: 0 },
});
const registry = setup({ use: { feed } });

Deno.test("a client that stops reading is closed with 4101, then resumes and gets every event in order", async () => {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
  const relay = startRelay(http.addr.port);
  const client = createClient<typeof registry>(`http://127.0.0.1:${relay.port}`, {
    transport: "websocket",
    heartbeatTimeout: 0,
    reconnect: { initialDelay: 1, maxDelay: 20, jitter: 0 },
  });
  const total = 200;
  try {
    const conn = client.feed.getOrCreate(["a"]).connect();
    const errors: SwitchyardError[] = [];
    conn.onError((e) => errors.push(e));
    const seen: number[] = [];
    const all = new Promise<void>((resolve) =>
      conn.on("chunk", (n: number) => seen.push(n) === total && resolve())
    );
    const id = await conn.ready();

    relay.pause(); // the client reads nothing from now on
    const handle = server.client.feed.getOrCreate(["a"]);
    for (let i = 0; i < total / 5; i++) await handle.flood(5);
    relay.resume();

    await all;
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i + 1));
    assert.equal(conn.id, id);
    assert.equal(relay.accepted, 2, "the server closed the first transport");
    assert.deepEqual(errors.map((e) => e.code), []);
  } finally {
    await client.dispose();
    await relay.close();
    await server.shutdown();
    await http.shutdown();
  }
});
