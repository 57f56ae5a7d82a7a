import assert from "node:assert/strict";
import { MemoryRouteStore } from "../../src/gateway/route_store.ts";
import type { RouteTable } from "../../src/gateway/route_table.ts";
import { RuntimeRouter, type RuntimeRouterOptions } from "../../src/gateway/runtime_router.ts";
import {
  closedPort,
  type Echo,
  echoHandler,
  rawRequest,
  serve,
  type TestServer,
} from "./_helpers.ts";

/** Starts `n` upstreams that echo and count what they receive. */
function upstreams(n: number, status = () => 200) {
  const hits: string[][] = Array.from({ length: n }, () => []);
  const servers: TestServer[] = hits.map((h, i) =>
    serve(async (req) => {
      h.push(`${req.method} ${new URL(req.url).pathname}`);
      const echo = await (await echoHandler(req)).json();
      return Response.json({ ...echo, server: i }, { status: status() });
    })
  );
  return {
    hits,
    servers,
    urls: servers.map((s) => s.url),
    close: () => Promise.all(servers.map((s) => s.close())),
  };
}

function router(routes: Record<string, RouteTable>, options: RuntimeRouterOptions = {}) {
  const store = new MemoryRouteStore(routes);
  return { store, router: new RuntimeRouter(store, options) };
}

async function get(r: RuntimeRouter, fn: string, path: string, init?: RequestInit) {
  return await r.handleRequest(fn, new Request(`http://gw.test${path}`, init));
}

Deno.test("handleRequest() returns null without routes, for inactive functions and on no match", async () => {
  const { store, router: r } = router({ fn: { "/api/*": "http://127.0.0.1:9" } });
  assert.equal(await get(r, "unknown", "/api/x"), null);
  assert.equal(await get(r, "fn", "/other"), null);
  await store.setRecord("fn", { routes: { "/*": "http://127.0.0.1:9" }, active: false });
  r.cache.invalidate("fn");
  assert.equal(await get(r, "fn", "/api/x"), null);
});

Deno.test("the plain table form routes by service, with an exact path overriding a wildcard", async () => {
  const up = upstreams(3);
  try {
    const [users, orders, site] = up.urls;
    const { router: r } = router({
      shop: {
        "/api/users/*": users!,
        "/api/users/me": `${orders!}/whoami`,
        "/*": `${site!}/static`,
      },
    });
    const a = (await (await get(r, "shop", "/api/users/42/posts?x=1"))!.json()) as Echo;
    assert.equal(a.url, `${users}/42/posts?x=1`);
    const b = (await (await get(r, "shop", "/api/users/me"))!.json()) as Echo;
    assert.equal(b.url, `${orders}/whoami`);
    const c = (await (await get(r, "shop", "/index.html"))!.json()) as Echo;
    assert.equal(c.url, `${site}/static/index.html`);
    const escape = await get(r, "shop", "/api/users/..%2f..%2fadmin");
    assert.equal(escape!.status, 400);
    assert.equal((await escape!.json()).code, "path_escape");
  } finally {
    await up.close();
  }
});

Deno.test("a dot-segment with a path parameter (..;) never reaches the upstream", async () => {
  const up = upstreams(1);
  try {
    const { router: r } = router({ fn: { "/api/*": `${up.urls[0]}/v1` } });
    for (
      const path of ["/api/..;/secret", "/api/%2e%2e;/secret", "/api/..;x=1/secret", "/api/.;/x"]
    ) {
      const res = await get(r, "fn", path);
      assert.equal(res!.status, 400, path);
      assert.equal((await res!.json()).code, "path_escape", path);
    }
    assert.deepEqual(up.hits[0], []);
    const fine = await get(r, "fn", "/api/a;b=1/c");
    assert.equal(fine!.status, 200);
    await fine!.body?.cancel();
  } finally {
    await up.close();
  }
});

Deno.test("routes by environment with header variants and method keys", async () => {
  const up = upstreams(3);
  try {
    const [prod, staging, writes] = up.urls;
    const { router: r } = router({
      fn: {
        "/*": [{ target: staging!, headers: { "x-env": "staging" } }, prod!],
        "POST,PUT /*": writes!,
      },
    });
    const server = async (init?: RequestInit) =>
      ((await (await get(r, "fn", "/x", init))!.json()) as { server: number }).server;
    assert.equal(await server(), 0);
    assert.equal(await server({ headers: { "x-env": "staging" } }), 1);
    assert.equal(await server({ method: "POST", body: "{}" }), 2);
  } finally {
    await up.close();
  }
});

Deno.test("several targets share the load round-robin or by weight", async () => {
  const up = upstreams(3);
  try {
    const { router: r } = router({
      rr: { "/*": { targets: up.urls } },
      w: {
        "/*": {
          targets: [{ url: up.urls[0]!, weight: 3 }, { url: up.urls[1]!, weight: 1 }],
          balance: "weighted",
        },
      },
    });
    for (let i = 0; i < 30; i++) await (await get(r, "rr", "/"))!.body?.cancel();
    assert.deepEqual(up.hits.map((h) => h.length), [10, 10, 10]);
    for (let i = 0; i < 40; i++) await (await get(r, "w", "/"))!.body?.cancel();
    assert.deepEqual(up.hits.map((h) => h.length), [40, 20, 10]);
  } finally {
    await up.close();
  }
});

Deno.test("retries move idempotent requests to another target and never repeat a POST", async () => {
  let failing = true;
  const bad = upstreams(1, () => failing ? 503 : 200);
  const good = upstreams(1);
  try {
    const table: RouteTable = {
      "/*": { targets: [bad.urls[0]!, good.urls[0]!], retries: { attempts: 2, backoff: 1 } },
    };
    const { router: r } = router({ fn: table });
    const res = await get(r, "fn", "/a");
    assert.equal(res!.status, 200);
    assert.equal(((await res!.json()) as Echo).method, "GET");
    assert.equal(bad.hits[0]!.length, 1);
    assert.equal(good.hits[0]!.length, 1);
    // Round-robin starts on the bad target again: /b is retried, the POST is not.
    await (await get(r, "fn", "/b"))!.body?.cancel();
    const post = await get(r, "fn", "/c", { method: "POST", body: "once" });
    assert.equal(post!.status, 503);
    await post!.body?.cancel();
    assert.deepEqual(bad.hits[0], ["GET /a", "GET /b", "POST /c"]);
    assert.deepEqual(good.hits[0], ["GET /a", "GET /b"]);
    failing = false;
  } finally {
    await bad.close();
    await good.close();
  }
});

Deno.test("retries a refused connection on the next target", async () => {
  const good = upstreams(1);
  try {
    const { router: r } = router({
      fn: {
        "/*": { targets: [`http://127.0.0.1:${closedPort()}`, good.urls[0]!], retries: 1 },
      },
    });
    const res = await get(r, "fn", "/");
    assert.equal(res!.status, 200);
    await res!.body?.cancel();
  } finally {
    await good.close();
  }
});

Deno.test("a circuit breaker opens on failures, answers 503 fast, and a probe closes it", async () => {
  let t = 0;
  let status = 502;
  const up = upstreams(1, () => status);
  try {
    const target = up.urls[0]!;
    const { router: r } = router({
      fn: { "/*": { target, circuitBreaker: { failures: 2, resetAfter: 1000 } } },
    }, { now: () => t });
    for (let i = 0; i < 2; i++) assert.equal((await get(r, "fn", "/"))!.status, 502);
    const open = await get(r, "fn", "/");
    assert.equal(open!.status, 503);
    assert.deepEqual(await open!.json(), {
      error: 'Every target of route "/*" is failing',
      code: "circuit_open",
      target: `${target}/`,
    });
    assert.equal(up.hits[0]!.length, 2, "an open breaker does not reach the upstream");
    status = 200;
    t = 1000;
    assert.equal((await get(r, "fn", "/"))!.status, 200); // the probe
    assert.equal((await get(r, "fn", "/"))!.status, 200);
    assert.equal(up.hits[0]!.length, 4);
  } finally {
    await up.close();
  }
});

Deno.test("a rate limit answers 429 with Retry-After", async () => {
  let t = 0;
  const up = upstreams(1);
  try {
    const { router: r } = router({
      fn: { "/*": { target: up.urls[0]!, rateLimit: { limit: 2, window: 10_000 } } },
    }, { now: () => t });
    for (let i = 0; i < 2; i++) await (await get(r, "fn", "/"))!.body?.cancel();
    const limited = await get(r, "fn", "/");
    assert.equal(limited!.status, 429);
    assert.equal(limited!.headers.get("retry-after"), "5");
    assert.equal((await limited!.json()).code, "rate_limited");
    t = 5000;
    assert.equal((await get(r, "fn", "/"))!.status, 200);
  } finally {
    await up.close();
  }
});

Deno.test("per-client rate limits keep separate buckets", async () => {
  const up = upstreams(1);
  try {
    const { router: r } = router({
      fn: { "/*": { target: up.urls[0]!, rateLimit: { limit: 1, window: 60_000, by: "client" } } },
    });
    const from = (clientAddress: string) =>
      r.handleRequest("fn", new Request("http://gw.test/"), { clientAddress });
    assert.equal((await from("10.0.0.1"))!.status, 200);
    assert.equal((await from("10.0.0.2"))!.status, 200);
    assert.equal((await from("10.0.0.1"))!.status, 429);
  } finally {
    await up.close();
  }
});

Deno.test("an auth hook can refuse a request before it is proxied", async () => {
  const up = upstreams(1);
  try {
    const { router: r } = router({
      fn: { "/admin/:section": { target: up.urls[0]!, auth: "token" }, "/*": up.urls[0]! },
    }, {
      authHooks: {
        token: (req, ctx) =>
          req.headers.get("authorization") === `Bearer ${ctx.params.section}`
            ? undefined
            : Response.json({ code: "unauthorized" }, { status: 401 }),
      },
    });
    assert.equal((await get(r, "fn", "/admin/users"))!.status, 401);
    const ok = await get(r, "fn", "/admin/users", { headers: { authorization: "Bearer users" } });
    assert.equal(ok!.status, 200);
    await ok!.body?.cancel();
    assert.equal(up.hits[0]!.length, 1);
    assert.throws(
      () => r.validate({ "/*": { target: up.urls[0]!, auth: "missing" } }),
      (e: { code?: string }) => e.code === "unknown_auth_hook",
    );
  } finally {
    await up.close();
  }
});

Deno.test("a per-route timeout overrides the router's proxyTimeout", async () => {
  const release = Promise.withResolvers<void>();
  const slow = serve(async () => {
    await release.promise;
    return new Response("late");
  });
  try {
    const { router: r } = router({
      fn: { "/slow": { target: slow.url, timeout: 100 }, "/*": slow.url },
    }, { proxyTimeout: 60_000 });
    const t0 = performance.now();
    const res = await get(r, "fn", "/slow");
    assert.equal(res!.status, 504);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal((await res!.json()).code, "upstream_timeout");
  } finally {
    release.resolve();
    await slow.close();
  }
});

Deno.test("actor:// targets go to the actor fetcher with the remainder as path", async () => {
  const seen: string[] = [];
  const { router: r } = router({ fn: { "/counter/*": "actor://counter/a,b/http" } }, {
    actors: {
      fetch(name, key, request) {
        seen.push(`${name} ${key.join("|")} ${new URL(request.url).pathname}`);
        return Promise.resolve(new Response("counted"));
      },
    },
  });
  const res = await get(r, "fn", "/counter/inc");
  assert.equal(await res!.text(), "counted");
  assert.deepEqual(seen, ["counter a|b /http/inc"]);
});

Deno.test("handleRequest() matches options.path and fails coded when the store fails", async () => {
  const up = upstreams(1);
  try {
    const { router: r } = router({ fn: { "/api/*": up.urls[0]! } });
    const res = await r.handleRequest("fn", new Request("http://gw.test/fn/fn/api/x"), {
      path: "/api/x",
    });
    assert.equal(((await res!.json()) as Echo).url, `${up.urls[0]}/x`);
    const broken = new RuntimeRouter({ getRoutes: () => Promise.reject(new Error("down")) });
    await assert.rejects(
      () => broken.handleRequest("fn", new Request("http://gw.test/")),
      (e: { code?: string; status?: number }) =>
        e.code === "route_store_unavailable" && e.status === 503,
    );
  } finally {
    await up.close();
  }
});

Deno.test("a WebSocket echo works through the full router", async () => {
  const upstream = serve((req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (ev) => socket.send(ev.data);
    return response;
  });
  const r = new RuntimeRouter(new MemoryRouteStore({ fn: { "/ws/*": upstream.url } }), {
    upgradeWebSocket: (req, o) => Deno.upgradeWebSocket(req, o),
  });
  const gateway = serve(async (req) => (await r.handleRequest("fn", req)) ?? new Response("own"));
  try {
    const ws = new WebSocket(`${gateway.url.replace("http", "ws")}/ws/room`);
    const closed = new Promise<CloseEvent>((res) => ws.onclose = res);
    const echoed = new Promise((res) => ws.onmessage = (ev) => res(ev.data));
    ws.onopen = () => ws.send("ping");
    assert.equal(await echoed, "ping");
    ws.close(1000);
    assert.equal((await closed).code, 1000);
  } finally {
    await gateway.close();
    await upstream.close();
  }
});

Deno.test("hundreds of malformed requests leave the gateway serving normal ones", async () => {
  const up = serve(() => Response.json({ ok: true }));
  const r = new RuntimeRouter(new MemoryRouteStore({ fn: { "/api/*": up.url } }));
  const gateway = serve(async (req, info) =>
    (await r.handleRequest("fn", req, { clientAddress: info.remoteAddr.hostname })) ??
      new Response("own code")
  );
  const junk = [
    "GET /api/%zz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /api/..%2f..%2f HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /api/%2e%2e/%2e%2e HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /api/a\\b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /api/x HTTP/1.1\r\nHost: h\r\nConnection: close, , ,;;, host, content-length\r\n\r\n",
    'GET /api/x HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: ,,,"\r\nForwarded: for="\r\nConnection: close\r\n\r\n',
    "POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc",
    "POST /api/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
    "GET /api/x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: close\r\n\r\n",
    "GET /api/x HTTP/1.1\r\nHost: h\r\nTE: gzip, trailers\r\nTrailer: Host\r\nConnection: close\r\n\r\n",
    "BREW /api/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /api/" + "a/".repeat(2000) + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET http://other.test/api/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "\x00\x01\x02 garbage\r\n\r\n",
    "GET /api/x HTTP/9.9\r\n\r\n",
    "GET /api/x HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n",
  ];
  try {
    const statuses = new Set<number>();
    for (let i = 0; i < 340; i++) {
      const text = junk[i % junk.length]!;
      // A truncated body only ends when the client shuts its side.
      const res = await rawRequest(gateway.port, text, { halfClose: text.startsWith("POST") });
      statuses.add(res.status);
      // 0: the HTTP layer closed the connection; 502: a truncated body never reached the upstream.
      assert.ok([0, 200, 400, 501, 502].includes(res.status), `request ${i}: ${res.status}`);
    }
    const ok = await fetch(`${gateway.url}/api/fine?q=1`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true });
  } finally {
    await gateway.close();
    await up.close();
  }
});
