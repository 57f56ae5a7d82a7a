/**
 * Servers for bench/gateway_proxy_bench.ts, one per process:
 *   deno run -A bench/gateway_deno_servers.ts upstream
 *   deno run -A bench/gateway_deno_servers.ts bare <upstream-url>
 *   deno run -A bench/gateway_deno_servers.ts router <upstream-url>
 * Each prints `PORT <n>` once listening.
 */
import { MemoryRouteStore } from "../src/gateway/route_store.ts";
import { RuntimeRouter } from "../src/gateway/runtime_router.ts";

const [mode, upstream] = Deno.args;
const onListen = (addr: Deno.NetAddr) => console.log(`PORT ${addr.port}`);

// 1 KB of JSON.
const items = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, ok: true }));
let json = JSON.stringify({ items, pad: "" });
json = JSON.stringify({ items, pad: "x".repeat(1024 - json.length) });

if (mode === "upstream") {
  Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen },
    () => new Response(json, { headers: { "content-type": "application/json" } }),
  );
} else if (mode === "bare") {
  Deno.serve({ hostname: "127.0.0.1", port: 0, onListen }, (req) => {
    const url = new URL(req.url);
    return fetch(`${upstream}${url.pathname.slice(4)}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
  });
} else if (mode === "router") {
  const router = new RuntimeRouter(new MemoryRouteStore({ bench: { "/api/*": upstream! } }));
  Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen },
    async (req, info) =>
      (await router.handleRequest("bench", req, { clientAddress: info.remoteAddr.hostname })) ??
        new Response("no route", { status: 404 }),
  );
} else {
  console.error(`Unknown mode "${mode}"`);
  Deno.exit(2);
}
