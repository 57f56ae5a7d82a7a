/**
 * Servers for bench/gateway_proxy_bench.ts, one per process:
 *   deno run -A bench/gateway_deno_servers.ts upstream
 *   deno run -A bench/gateway_deno_servers.ts bare <upstream-url>
 *   deno run -A bench/gateway_deno_servers.ts router <upstream-url>
 * Each prints `PORT <n>` once listening. The router reads GW_ROUTER_DIR and
 * GW_VARIANT (see below).
 */
import { MemoryRouteStore } from "../src/gateway/route_store.ts";
import { RuntimeRouter } from "../src/gateway/runtime_router.ts";
import { fetchTransport } from "../src/gateway/transport.ts";
import { nodeTransport, type UndiciDispatcher } from "../src/gateway/node_transport.ts";

const [mode, upstream] = Deno.args;
const onListen = (addr: Deno.NetAddr) => console.log(`PORT ${addr.port}`);
// Exit cleanly on SIGINT so `deno run --cpu-prof` writes its profile.
Deno.addSignalListener("SIGINT", () => Deno.exit(0));

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
  // GW_ROUTER_DIR: the gateway of another checkout (e.g. `git archive` of an older commit).
  const dir = Deno.env.get("GW_ROUTER_DIR") || undefined;
  const mod = dir === undefined ? { RuntimeRouter, MemoryRouteStore } : {
    ...(await import(`${dir}/runtime_router.ts`)),
    ...(await import(`${dir}/route_store.ts`)),
  } as { RuntimeRouter: typeof RuntimeRouter; MemoryRouteStore: typeof MemoryRouteStore };
  // GW_VARIANT "fetch": the router on fetchTransport() (the portable transport over fetch);
  // "undici": the router on nodeTransport() over an Agent of the undici npm package.
  const variant = Deno.env.get("GW_VARIANT");
  const transport = variant === "fetch" ? fetchTransport() : variant === "undici"
    ? nodeTransport({
      dispatcher: new (await import("undici")).Agent() as unknown as UndiciDispatcher,
    })
    : undefined;
  // "nometrics": metrics off; "transform": header edits both ways; "cache": a cached route.
  const route = variant === "transform"
    ? {
      target: upstream!,
      transform: { request: { set: { "x-gw": "1" } }, response: { remove: ["x-none"] } },
    }
    : variant === "cache"
    ? { target: upstream!, cache: 60_000 }
    : upstream!;
  const router = new mod.RuntimeRouter(
    new mod.MemoryRouteStore({ bench: { "/api/*": route } }),
    { transport, metrics: variant !== "nometrics" },
  );
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
