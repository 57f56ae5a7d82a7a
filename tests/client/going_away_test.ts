import assert from "node:assert/strict";
import { actor, setup } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { createClient, type SwitchyardError } from "../../src/client/mod.ts";
import type { SocketLike } from "../../src/common/socket.ts";

const counter = actor({
  state: { count: 0 },
  onAuth: () => {},
  actions: {
    increment: (c) => {
      c.broadcast("changed", ++c.state.count);
      return c.state.count;
    },
  },
});
const registry = setup({ use: { counter } });

/** Deno.serve on `port`, remembering the server ends of its WebSockets. */
function listen(server: { fetch(r: Request, env?: unknown): Promise<Response> }, port = 0) {
  const sockets = new Set<SocketLike>();
  const upgradeWebSocket = (request: Request, options: { protocol?: string }) => {
    const upgraded = Deno.upgradeWebSocket(request, options);
    sockets.add(upgraded.socket);
    upgraded.socket.addEventListener("close", () => sockets.delete(upgraded.socket));
    return upgraded;
  };
  const http = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    (request) => server.fetch(request, { upgradeWebSocket }),
  );
  return {
    port: http.addr.port,
    /** Closes every WebSocket with 1001, as a host going down does, then stops listening. */
    async close() {
      const closed = [...sockets].map((s) =>
        new Promise((r) => {
          s.addEventListener("close", r);
          s.close(1001, "Server is going away");
        })
      );
      await Promise.all(closed);
      await http.shutdown();
    },
  };
}

Deno.test("a client whose server went away (1001) resumes the same connection and gets the events it missed", async () => {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  let http = listen(server);
  const port = http.port;
  const client = createClient<typeof registry>(`http://127.0.0.1:${port}`, {
    transport: "websocket",
    reconnect: { initialDelay: 5, maxDelay: 50, jitter: 0, maxAttempts: 1000 },
  });
  try {
    const conn = client.counter.getOrCreate(["a"]).connect();
    const errors: SwitchyardError[] = [];
    const seen: number[] = [];
    const third = new Promise<void>((resolve, reject) => {
      conn.on("changed", (n: number) => seen.push(n) === 3 && resolve());
      conn.onError((e) => reject(errors.push(e) && e)); // connection_reset: the resume failed
    });
    const id = await conn.ready();
    assert.equal(await conn.increment(), 1);

    await http.close();
    await server.client.counter.getOrCreate(["a"]).increment();
    await server.client.counter.getOrCreate(["a"]).increment();
    http = listen(server, port);

    await third;
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(conn.id, id);
    assert.deepEqual(errors.map((e) => e.code), []);
  } finally {
    await client.dispose();
    await http.close();
    await server.shutdown();
  }
});
