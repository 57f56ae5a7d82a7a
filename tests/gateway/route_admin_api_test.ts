import assert from "node:assert/strict";
import { Hono } from "hono";
import { createRouteAdminApi } from "../../src/gateway/route_admin_api.ts";
import { MemoryRouteStore } from "../../src/gateway/route_store.ts";
import { RuntimeRouter } from "../../src/gateway/runtime_router.ts";

function setup(authorize?: (r: Request) => boolean) {
  const store = new MemoryRouteStore({ fn: { "/old/*": "http://127.0.0.1:9" } });
  const router = new RuntimeRouter(store);
  const app = new Hono();
  app.mount(
    "/admin/routes",
    createRouteAdminApi(store, {
      cache: router.cache,
      validate: (t) => router.validate(t),
      authorize,
    })
      .fetch,
  );
  return { store, router, app };
}

const put = (body: unknown) => ({ method: "PUT", body: JSON.stringify(body) });

Deno.test("the admin API reads a function's routes", async () => {
  const { app } = setup();
  const res = await app.request("/admin/routes/fn");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    functionId: "fn",
    active: true,
    routes: { "/old/*": "http://127.0.0.1:9" },
  });
  const missing = await app.request("/admin/routes/none");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, "routes_not_found");
});

Deno.test("replacing routes through the admin API takes effect at once", async () => {
  const { app, router } = setup();
  const req = () => new Request("http://gw.test/old/x");
  assert.notEqual(await router.handleRequest("fn", req()), null); // cached now
  const res = await app.request(
    "/admin/routes/fn",
    put({ routes: { "/new/*": "http://127.0.0.1:9" } }),
  );
  assert.equal(res.status, 200);
  assert.equal(await router.handleRequest("fn", req()), null);
  const off = await app.request(
    "/admin/routes/fn",
    put({ routes: { "/*": "http://x.test" }, active: false }),
  );
  assert.equal((await off.json()).active, false);
  assert.equal(await router.handleRequest("fn", new Request("http://gw.test/any")), null);
  assert.equal((await app.request("/admin/routes/fn", { method: "DELETE" })).status, 204);
  assert.equal((await app.request("/admin/routes/fn", { method: "DELETE" })).status, 404);
});

Deno.test("the admin API refuses invalid tables with coded 400s", async () => {
  const { app } = setup();
  const cases: [unknown, string][] = [
    [{ routes: { "/a//b": "http://x.test" } }, "invalid_route_pattern"],
    [{ routes: { "/*": "ftp://x.test" } }, "invalid_route_target"],
    [{ routes: { "/*": { target: "http://x.test", auth: "nope" } } }, "unknown_auth_hook"],
    [{ routes: { "/*": { target: "http://x.test", extra: 1 } } }, "invalid_route_table"],
    [{ routes: { "/*": "http://x.test" }, other: 1 }, "invalid_route_table"],
    [{ "/*": "http://x.test" }, "invalid_route_table"],
  ];
  for (const [body, code] of cases) {
    const res = await app.request("/admin/routes/fn", put(body));
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal((await res.json()).code, code);
  }
  const bad = await app.request("/admin/routes/fn", { method: "PUT", body: "{" });
  assert.equal((await bad.json()).code, "malformed_body");
});

Deno.test("the admin API answers 401 when authorize refuses", async () => {
  const { app } = setup((r) => r.headers.get("authorization") === "Bearer admin");
  assert.equal((await app.request("/admin/routes/fn")).status, 401);
  const ok = await app.request("/admin/routes/fn", { headers: { authorization: "Bearer admin" } });
  assert.equal(ok.status, 200);
});
