import assert from "node:assert/strict";
import { MemoryRouteStore } from "../../src/gateway/route_store.ts";
import type { RouteTable } from "../../src/gateway/route_table.ts";
import { RuntimeRouter, type RuntimeRouterOptions } from "../../src/gateway/runtime_router.ts";
import { closedPort, type Echo, echoHandler, serve } from "./_helpers.ts";

function router(routes: Record<string, RouteTable>, options: RuntimeRouterOptions = {}) {
  const store = new MemoryRouteStore(routes);
  return { store, router: new RuntimeRouter(store, options) };
}

function get(r: RuntimeRouter, fn: string, path: string, init?: RequestInit) {
  return r.handleRequest(fn, new Request(`http://gw.test${path}`, init));
}

Deno.test("cacheTTL is read in seconds: 300 keeps a table five minutes", async () => {
  let t = 0;
  let reads = 0;
  const store = new MemoryRouteStore({ fn: { "/x": "http://127.0.0.1:9" } });
  const r = new RuntimeRouter({
    getRoutes: (id) => (reads++, store.getRoutes(id)),
  }, { cacheTTL: 300, proxyTimeout: 30000, now: () => t });
  assert.equal(await get(r, "fn", "/none"), null);
  t = 299_000;
  assert.equal(await get(r, "fn", "/none"), null);
  assert.equal(reads, 1);
  t = 300_001;
  assert.equal(await get(r, "fn", "/none"), null);
  assert.equal(reads, 2);
  const stats = r.getStats();
  assert.equal(stats.cache.ttl, 300_000);
  assert.equal(stats.cache.size, 1);
  assert.equal(new RuntimeRouter(store).getStats().cache.ttl, 300_000);
});

Deno.test("invalidateCache(), clearCache() and cleanup() manage the table cache", async () => {
  let t = 0;
  const { router: r } = router({ a: {}, b: {} }, { cacheTTL: 10, now: () => t });
  await get(r, "a", "/");
  await get(r, "b", "/");
  assert.equal(r.getStats().cache.size, 2);
  assert.equal(r.invalidateCache("a"), true);
  assert.equal(r.invalidateCache("a"), false);
  assert.equal(r.getStats().cache.size, 1);
  await get(r, "a", "/");
  t = 20_000;
  assert.equal(r.cleanup(), 2);
  await get(r, "a", "/");
  r.clearCache();
  assert.equal(r.getStats().cache.size, 0);
});

Deno.test("a wrong argument type throws a TypeError that says what to pass", async () => {
  const { router: r } = router({});
  await assert.rejects(
    // @ts-expect-error: not a Request
    () => r.handleRequest("fn", "http://gw.test/"),
    (e: Error) => e instanceof TypeError && /needs a Request, got a string/.test(e.message),
  );
  await assert.rejects(
    // @ts-expect-error: not a string id
    () => r.handleRequest(42, new Request("http://gw.test/")),
    (e: Error) => e instanceof TypeError && /function id string, got a number/.test(e.message),
  );
  // @ts-expect-error: not a string id
  assert.throws(() => r.invalidateCache(null), TypeError);
  // @ts-expect-error: not a store
  assert.throws(() => new RuntimeRouter({}), /route store with getRoutes/);
  // @ts-expect-error: not a number
  assert.throws(() => new RuntimeRouter(new MemoryRouteStore({}), { cacheTTL: "300" }), TypeError);
});

Deno.test("error bodies name the full target URL with the request path", async () => {
  const port = closedPort();
  const { router: r } = router({ fn: { "/api/*": `http://127.0.0.1:${port}/v1` } });
  const res = await get(r, "fn", "/api/orders/7?token=secret");
  assert.equal(res!.status, 502);
  const body = await res!.json();
  assert.equal(body.code, "upstream_unreachable");
  assert.equal(body.target, `http://127.0.0.1:${port}/v1/orders/7`);
});

Deno.test("transformation edits headers both ways and rewrites the path with params", async () => {
  const up = serve(async (req) => {
    const res = await echoHandler(req);
    res.headers.set("server", "upstream/1.0");
    res.headers.set("x-internal", "1");
    return res;
  });
  try {
    const { router: r } = router({
      fn: {
        "/api/:tenant/*": {
          target: `${up.url}/base`,
          transform: {
            request: {
              set: { "x-tenant": "yes" },
              append: { "x-via": "gw" },
              remove: ["cookie"],
              path: { path: "/v2/:tenant/*" },
            },
            response: { remove: ["x-internal"], set: { server: "gw" } },
          },
        },
        "/old/*": {
          target: up.url,
          transform: { request: { path: { stripPrefix: "/old", addPrefix: "/new" } } },
        },
      },
    });
    const res = await get(r, "fn", "/api/acme%20co/users?q=1", {
      headers: { cookie: "s=1", "x-via": "client" },
    });
    assert.equal(res!.headers.get("server"), "gw");
    assert.equal(res!.headers.get("x-internal"), null);
    const echo = (await res!.json()) as Echo;
    assert.equal(echo.url, `${up.url}/base/v2/acme%20co/users?q=1`);
    assert.equal(echo.headers["x-tenant"], "yes");
    assert.equal(echo.headers["x-via"], "client, gw");
    assert.equal(echo.headers["cookie"], undefined);
    const old = (await (await get(r, "fn", "/old/a/b"))!.json()) as Echo;
    assert.equal(old.url, `${up.url}/new/a/b`);
  } finally {
    await up.close();
  }
});

Deno.test("a body hook rewrites buffered request and response bodies", async () => {
  const up = serve(async (req) => new Response((await req.text()).toUpperCase()));
  try {
    const { router: r } = router({
      fn: {
        "/*": {
          target: up.url,
          transform: { request: { body: "wrap" }, response: { body: "sign" } },
        },
      },
    }, {
      bodyTransforms: {
        wrap: (b) => `[${new TextDecoder().decode(b)}]`,
        sign: (b, ctx) => (ctx.headers.set("x-signed", "1"), new TextDecoder().decode(b) + "!"),
      },
      maxTransformBody: 64,
    });
    const res = await get(r, "fn", "/", { method: "POST", body: "hi" });
    assert.equal(res!.headers.get("x-signed"), "1");
    assert.equal(await res!.text(), "[HI]!");
    const big = await get(r, "fn", "/", { method: "POST", body: "x".repeat(100) });
    assert.equal(big!.status, 413);
    assert.equal((await big!.json()).code, "body_too_large");
  } finally {
    await up.close();
  }
});

Deno.test("route tables with bad transformation, caching or regex entries are refused naming the route", () => {
  const r = new RuntimeRouter(new MemoryRouteStore({}));
  const bad: [RouteTable, string, RegExp][] = [
    [
      { "/a": { target: "http://h", transform: { request: { set: { host: "x" } } } } },
      "invalid_route_transform",
      /Route "\/a"/,
    ],
    [
      { "/a/*": { target: "http://h", transform: { request: { path: { path: "/:nope/*" } } } } },
      "invalid_route_transform",
      /"nope"/,
    ],
    [
      { "/a": { target: "http://h", transform: { response: { body: "missing" } } } },
      "unknown_body_transform",
      /Route "\/a"/,
    ],
    [{ "/a": { target: "http://h", cache: -1 } }, "invalid_route_table", /"\/a\.cache"/],
    [
      { "/a": { target: "http://h", cache: { ttl: 10, extra: 1 } as never } },
      "invalid_route_table",
      /\/a\.cache/,
    ],
    [{ "~/x(": "http://h" }, "invalid_route_pattern", /~\/x\(/],
    [{ "~/(a)\\1": "http://h" }, "invalid_route_pattern", /RE2/],
    [{ "~": "http://h" }, "invalid_route_table", /"~"/],
  ];
  for (const [table, code, message] of bad) {
    assert.throws(
      () => r.validate(table),
      (e: { code?: string; message: string; status?: number }) => {
        assert.equal(e.code, code, JSON.stringify(table));
        assert.equal(e.status, 400);
        assert.match(e.message, message);
        return true;
      },
    );
  }
});

Deno.test("whole-path regex routes rank after exact and param routes, before wildcards", async () => {
  const up = serve(echoHandler);
  try {
    const { router: r } = router({
      fn: {
        "~/files/(?<name>[^/]+)\\.pdf": `${up.url}/pdf`,
        "/files/special.pdf": `${up.url}/exact`,
        "/files/:id/meta": `${up.url}/param`,
        "/*": `${up.url}/any`,
      },
    });
    const path = async (p: string) =>
      new URL(((await (await get(r, "fn", p))!.json()) as Echo).url).pathname;
    assert.equal(await path("/files/report.pdf"), "/pdf");
    assert.equal(await path("/files/special.pdf"), "/exact");
    assert.equal(await path("/files/x/meta"), "/param");
    assert.equal(await path("/files/report.txt"), "/any/files/report.txt");
    // A path that would make a backtracking engine run for ages answers at once.
    const { router: r2 } = router({ fn: { "~(a+)+$": `${up.url}/evil` } });
    assert.equal(await get(r2, "fn", "/" + "a".repeat(4000) + "b"), null);
  } finally {
    await up.close();
  }
});

Deno.test("a cached route answers GETs from the cache and honours Cache-Control and Vary", async () => {
  let hits = 0;
  let cc = "max-age=60";
  const up = serve((req) => {
    hits++;
    return new Response(`v${hits} ${req.headers.get("accept-language") ?? ""}`, {
      headers: { "cache-control": cc, vary: "accept-language" },
    });
  });
  let t = 0;
  try {
    const { router: r } = router({ fn: { "/*": { target: up.url, cache: 1000 } } }, {
      now: () => t,
    });
    const first = await get(r, "fn", "/a");
    assert.equal(first!.headers.get("cache-status"), "switchyard; fwd=miss; stored");
    assert.equal(await first!.text(), "v1 ");
    const second = await get(r, "fn", "/a");
    assert.equal(second!.headers.get("cache-status"), "switchyard; hit");
    assert.equal(await second!.text(), "v1 ");
    const fr = await get(r, "fn", "/a", { headers: { "accept-language": "fr" } });
    assert.equal(await fr!.text(), "v2 fr");
    const head = await get(r, "fn", "/a", { method: "HEAD" });
    assert.equal(head!.headers.get("cache-status"), "switchyard; hit");
    assert.equal(head!.body, null);
    const authed = await get(r, "fn", "/a", { headers: { authorization: "Bearer x" } });
    assert.equal(
      authed!.headers.get("cache-status"),
      "switchyard; fwd=bypass; detail=authorization",
    );
    assert.equal(await authed!.text(), "v3 ");
    t = 61_000; // max-age wins over the route's TTL
    assert.equal(await (await get(r, "fn", "/a"))!.text(), "v4 ");
    cc = "no-store";
    const ns = await get(r, "fn", "/b");
    assert.equal(ns!.headers.get("cache-status"), "switchyard; fwd=miss; detail=no-store");
    await ns!.body?.cancel();
    cc = "private";
    await (await get(r, "fn", "/c"))!.body?.cancel();
    assert.equal(await (await get(r, "fn", "/c"))!.text(), "v7 ");
    const stats = r.getStats().routes["fn /*"]!;
    assert.deepEqual(stats.cache, { hits: 2, stale: 0, misses: 6 });
  } finally {
    await up.close();
  }
});

Deno.test("stale-while-revalidate serves the stale answer and refreshes it once", async () => {
  let n = 0;
  const refreshed = Promise.withResolvers<void>();
  const up = serve(() => {
    n++;
    if (n === 2) queueMicrotask(refreshed.resolve);
    return new Response(`v${n}`);
  });
  let t = 0;
  try {
    const { router: r } = router({
      fn: {
        "/*": { target: up.url, cache: { ttl: 1000, staleWhileRevalidate: 5000, maxEntries: 1 } },
      },
    }, { now: () => t });
    assert.equal(await (await get(r, "fn", "/a"))!.text(), "v1");
    t = 2000;
    const stale = await get(r, "fn", "/a");
    assert.equal(stale!.headers.get("cache-status"), "switchyard; hit; fwd=stale");
    assert.equal(await stale!.text(), "v1");
    await refreshed.promise;
    // The refreshed entry lands once its body is read: yield to the event loop until then.
    while ((await (await get(r, "fn", "/a"))!.text()) !== "v2") {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.equal(n, 2);
    // Bounded: a second path evicts the first.
    await (await get(r, "fn", "/b"))!.body?.cancel();
    await (await get(r, "fn", "/a"))!.body?.cancel();
    assert.equal(n, 4);
  } finally {
    await up.close();
  }
});

Deno.test("metrics count requests, latency, errors and rate limits, in getStats() and as Prometheus text", async () => {
  const up = serve(() => new Response("ok"));
  const port = closedPort();
  try {
    const { router: r } = router({
      fn: {
        "/ok": up.url,
        "/down": `http://127.0.0.1:${port}`,
        "/limited": { target: up.url, rateLimit: { limit: 1, window: 60_000 } },
      },
    });
    for (const p of ["/ok", "/ok", "/down", "/limited", "/limited"]) {
      await (await get(r, "fn", p))!.body?.cancel();
    }
    const stats = r.getStats();
    assert.equal(stats.routes["fn /ok"]!.requests["2xx"], 2);
    assert.equal(stats.routes["fn /ok"]!.latency.count, 2);
    assert.equal(stats.routes["fn /down"]!.upstreamErrors.refused, 1);
    assert.equal(stats.routes["fn /down"]!.requests["5xx"], 1);
    assert.equal(stats.routes["fn /limited"]!.rateLimited, 1);
    assert.equal(stats.targets[up.url]!.requests["2xx"], 3);
    const text = r.metrics();
    assert.match(
      text,
      /switchyard_gateway_requests_total\{function="fn",route="\/ok",target="[^"]+",class="2xx"\} 2/,
    );
    assert.match(text, /switchyard_gateway_upstream_errors_total\{[^}]*kind="refused"\} 1/);
    assert.match(text, /switchyard_gateway_request_duration_seconds_bucket\{[^}]*le="\+Inf"\} 2/);
    assert.match(text, /switchyard_gateway_rate_limited_total\{[^}]*route="\/limited"[^}]*\} 1/);
  } finally {
    await up.close();
  }
});
