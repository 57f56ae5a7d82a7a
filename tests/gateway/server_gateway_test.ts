import assert from "node:assert/strict";
import { actor, setup } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { MemoryRouteStore } from "../../src/gateway/route_store.ts";
import { createGateway } from "../../src/gateway/create_gateway.ts";

function makeServer() {
  const open = actor({
    state: { hits: 0 },
    onAuth: ({ request }) => {
      if (request.headers.get("authorization") !== "Bearer ok") {
        throw Object.assign(new Error("no"), { code: "forbidden" });
      }
    },
    onFetch: (c, request) => {
      c.state.hits++;
      const url = new URL(request.url);
      return Response.json({
        path: url.pathname,
        q: url.searchParams.get("q"),
        hits: c.state.hits,
      });
    },
    actions: {},
  });
  const internal = actor({
    state: {},
    onFetch: () => new Response("internal data"),
    actions: {},
  });
  return setup({ use: { open, internal } }).createServer({ driver: memoryDriver() });
}

Deno.test("createGateway(server) reaches actor:// targets through onAuth, as an outside request would", async () => {
  const server = makeServer();
  try {
    const gw = createGateway(
      server,
      new MemoryRouteStore({
        fn: { "/open/*": "actor://open/a/api", "/internal/*": "actor://internal/a" },
      }),
    );
    const ok = await gw.handleRequest(
      "fn",
      new Request("http://gw.test/open/items?q=1", { headers: { authorization: "Bearer ok" } }),
    );
    assert.equal(ok!.status, 200);
    assert.deepEqual(await ok!.json(), { path: "/api/items", q: "1", hits: 1 });
    const denied = await gw.handleRequest("fn", new Request("http://gw.test/open/items"));
    assert.notEqual(denied!.status, 200);
    await denied!.body?.cancel();
    // Without onAuth an actor is not reachable from outside: not through the gateway either.
    const internal = await gw.handleRequest("fn", new Request("http://gw.test/internal/x"));
    assert.equal(internal!.status, 403);
    await internal!.body?.cancel();
    // The server's /metrics includes the mounted gateway's counters.
    const metrics = await (await server.fetch(new Request("http://gw.test/metrics"))).text();
    assert.match(metrics, /switchyard_gateway_requests_total\{function="fn",route="\/open\/\*"/);
  } finally {
    await server.shutdown();
  }
});
