/**
 * Servers for bench/gateway_node_bench.ts on Node 24, one per process:
 *   node bench/gateway_node_servers.ts upstream
 *   node bench/gateway_node_servers.ts router <upstream-url>
 *   node bench/gateway_node_servers.ts fastify <upstream-url>
 * Each prints `PORT <n>` once listening.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import Fastify from "fastify";
import proxy from "@fastify/http-proxy";
import { MemoryRouteStore } from "../src/gateway/route_store.ts";
import { RuntimeRouter } from "../src/gateway/runtime_router.ts";

const [mode, upstream] = process.argv.slice(2);

const items = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, ok: true }));
let json = JSON.stringify({ items, pad: "" });
json = JSON.stringify({ items, pad: "x".repeat(1024 - json.length) });

if (mode === "upstream") {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": json.length });
    res.end(json);
  });
  server.listen(0, "127.0.0.1", () => {
    console.log(`PORT ${(server.address() as AddressInfo).port}`);
  });
} else if (mode === "router") {
  const router = new RuntimeRouter(new MemoryRouteStore({ bench: { "/api/*": upstream! } }));
  serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req: Request, env: { incoming: { socket: { remoteAddress?: string } } }) =>
      (await router.handleRequest("bench", req, {
        clientAddress: env.incoming.socket.remoteAddress,
      })) ?? new Response("no route", { status: 404 }),
  }, (info) => console.log(`PORT ${info.port}`));
} else if (mode === "fastify") {
  const app = Fastify();
  await app.register(proxy, { upstream: upstream!, prefix: "/api", rewritePrefix: "" });
  await app.listen({ host: "127.0.0.1", port: 0 });
  console.log(`PORT ${(app.server.address() as AddressInfo).port}`);
} else {
  console.error(`Unknown mode "${mode}"`);
  process.exit(2);
}
