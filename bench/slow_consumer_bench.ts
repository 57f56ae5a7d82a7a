/**
 * Slow consumers: clients that open a connection WebSocket, subscribe (with
 * the opening) and never read. The actor broadcasts 64 KiB events; the
 * server's RSS is read before and after, once with the default per-socket
 * bound (`maxBufferedBytes`, 4 MiB) and once with the bound lifted (what
 * the server did without one). Each run is its own process.
 *
 *   ./node_modules/.bin/deno run -A bench/slow_consumer_bench.ts [--clients 10] [--events 400]
 *
 * @module
 */
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { toSocketProtocols } from "../src/protocol/headers.ts";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const CLIENTS = arg("clients", 10);
const EVENTS = arg("events", 400);
const EVENT_SIZE = 64 * 1024;
const MiB = 2 ** 20;

async function child(limit: number): Promise<void> {
  const feed = actor({
    onAuth: () => {},
    actions: {
      flood: (c, count: number) => {
        const payload = "x".repeat(EVENT_SIZE);
        for (let i = 0; i < count; i++) c.broadcast("chunk", i, payload);
        return count;
      },
    },
    options: { maxBufferedBytes: limit, heartbeatTimeout: 0 },
  });
  const registry = setup({ use: { feed } });
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
  const protocols = toSocketProtocols({
    query: { getOrCreateForKey: { name: "feed", key: ["a"] } },
    encoding: "json",
    subs: ["chunk"],
  }).join(", ");
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: http.addr.port });
    await conn.write(new TextEncoder().encode(
      `GET /actors/connect/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocols}\r\n\r\n`,
    ));
    conns.push(conn); // never read
  }
  const handle = server.client.feed.getOrCreate(["a"]);
  await handle.flood(1); // every connection is open and subscribed
  const before = Deno.memoryUsage().rss;
  for (let sent = 0; sent < EVENTS; sent += 10) {
    await handle.flood(10);
    await new Promise((r) => setTimeout(r, 5)); // let the server write what it can
  }
  const after = Deno.memoryUsage().rss;
  console.log(JSON.stringify({ before: before / MiB, after: after / MiB }));
  for (const c of conns) c.close();
  await server.shutdown();
  await http.shutdown();
  Deno.exit(0);
}

const mode = Deno.args.indexOf("--child");
if (mode >= 0) {
  await child(Number(Deno.args[mode + 1]));
} else {
  const sent = (CLIENTS * EVENTS * EVENT_SIZE) / MiB;
  console.log(
    `${CLIENTS} clients that never read, ${EVENTS} events of 64 KiB each (${sent} MiB sent in all)`,
  );
  for (const [label, limit] of [["default bound (4 MiB)", 4 * MiB], ["no bound", 2 ** 40]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, ...Deno.args, "--child", `${limit}`],
    }).output();
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    console.log(`${label}: RSS ${r.before.toFixed(0)} MiB -> ${r.after.toFixed(0)} MiB`);
  }
}
