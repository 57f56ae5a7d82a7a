/**
 * Servers for bench/gateway_node_bench.ts on Node 24, one per process:
 *   node bench/gateway_node_servers.ts upstream
 *   node bench/gateway_node_servers.ts router <upstream-url>
 *   node bench/gateway_node_servers.ts fastify <upstream-url>
 * Each prints `PORT <n>` once listening. The router reads GW_TRANSPORT and
 * GW_ROUTER_DIR (see below).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import Fastify from "fastify";
import proxy from "@fastify/http-proxy";
import { MemoryRouteStore } from "../src/gateway/route_store.ts";
import { RuntimeRouter } from "../src/gateway/runtime_router.ts";
import { nodeTransport } from "../src/gateway/node_transport.ts";
import { fetchTransport } from "../src/gateway/transport.ts";

const [mode, upstream] = process.argv.slice(2);
// Exit cleanly on SIGINT so `node --cpu-prof` writes its profile.
process.on("SIGINT", () => process.exit(0));

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
  // GW_TRANSPORT: "auto" (the default choice, nodeTransport on Node), "node" or "fetch".
  const v = process.env.GW_TRANSPORT ?? "auto";
  const transport = v === "node" ? nodeTransport() : v === "fetch" ? fetchTransport() : undefined;
  // GW_ROUTER_DIR: the gateway of another checkout (e.g. `git archive` of an older commit).
  const dir = process.env.GW_ROUTER_DIR || undefined;
  const mod = dir === undefined ? { RuntimeRouter, MemoryRouteStore } : {
    ...(await import(`${dir}/runtime_router.ts`)),
    ...(await import(`${dir}/route_store.ts`)),
  } as { RuntimeRouter: typeof RuntimeRouter; MemoryRouteStore: typeof MemoryRouteStore };
  const router = new mod.RuntimeRouter(
    new mod.MemoryRouteStore({ bench: { "/api/*": upstream! } }),
    { transport },
  );
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
