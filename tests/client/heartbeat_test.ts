import assert from "node:assert/strict";
import { actor, setup } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { createClient, type SwitchyardError } from "../../src/client/mod.ts";
import { startRelay } from "../_tcp_relay.ts";

let disconnected: (connId: string) => void = () => {};

const counter = actor({
  onAuth: () => {},
  state: { count: 0 },
  actions: {
    increment: (c) => {
      c.broadcast("changed", ++c.state.count);
      return c.state.count;
    },
  },
  options: { heartbeatTimeout: 0 },
});
/** Like counter, with a short server heartbeat and no reconnect window. */
const watched = actor({
  onAuth: () => {},
  actions: { ping: () => "pong" },
  onDisconnect: (_c, conn) => disconnected(conn.id),
  options: { heartbeatTimeout: 200, reconnectWindow: 0 },
});
const registry = setup({ use: { counter, watched } });

/** A server on 127.0.0.1 and a relay in front of it. */
async function withRelay(
  fn: (ctx: {
    server: ReturnType<typeof registry.createServer>;
    relay: ReturnType<typeof startRelay>;
  }) => Promise<void>,
) {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
  const relay = startRelay(http.addr.port);
  try {
    await fn({ server, relay });
  } finally {
    await relay.close();
    await server.shutdown();
    await http.shutdown();
  }
}

Deno.test("a client whose server went silent reconnects, resumes and gets the events it missed", async () => {
  await withRelay(async ({ server, relay }) => {
    const client = createClient<typeof registry>(`http://127.0.0.1:${relay.port}`, {
      transport: "websocket",
      heartbeatTimeout: 200,
      reconnect: { initialDelay: 1, maxDelay: 20, jitter: 0 },
    });
    try {
      const conn = client.counter.getOrCreate(["a"]).connect();
      const errors: SwitchyardError[] = [];
      conn.onError((e) => errors.push(e));
      const seen: number[] = [];
      const second = new Promise<void>((resolve) =>
        conn.on("changed", (n: number) => seen.push(n) === 2 && resolve())
      );
      const id = await conn.ready();
      assert.equal(await conn.increment(), 1);

      relay.stopForwarding(); // half-open: no close, no error, nothing arrives
      await server.client.counter.getOrCreate(["a"]).increment();
      await second; // after the heartbeat noticed, over a new TCP connection

      assert.deepEqual(seen, [1, 2]);
      assert.equal(conn.id, id);
      assert.equal(relay.accepted, 2);
      assert.deepEqual(errors.map((e) => e.code), []);
    } finally {
      await client.dispose();
    }
  });
});

Deno.test("the server frees a connection whose client went silent", async () => {
  await withRelay(async ({ relay }) => {
    const client = createClient<typeof registry>(`http://127.0.0.1:${relay.port}`, {
      transport: "websocket",
      heartbeatTimeout: 0, // only the server watches
      reconnect: false,
    });
    try {
      const conn = client.watched.getOrCreate(["a"]).connect();
      const id = await conn.ready();
      const gone = new Promise<string>((resolve) => (disconnected = resolve));
      assert.equal(await conn.ping(), "pong");
      relay.stopForwarding();
      assert.equal(await gone, id); // onDisconnect ran: the server let the connection go
    } finally {
      await relay.close(); // the client's socket is half-open: only the relay can end it
      await client.dispose();
    }
  });
});
