import assert from "node:assert/strict";
import { KvRouteStore } from "../../src/gateway/kv_route_store.ts";
import { MemoryRouteStore, type WritableRouteStore } from "../../src/gateway/route_store.ts";

/** One suite for every writable route store. */
function runRouteStoreSuite(
  name: string,
  make: () => Promise<{ store: WritableRouteStore; close(): Promise<void> | void }>,
): void {
  Deno.test(`${name}: getRoutes() returns only active tables`, async () => {
    const { store, close } = await make();
    try {
      assert.equal(await store.getRoutes("fn"), null);
      const routes = {
        "/api/*": "https://api.example.com",
        "GET /x": { target: "https://x.test" },
      };
      await store.setRecord("fn", { routes, active: true });
      assert.deepEqual(await store.getRoutes("fn"), routes);
      await store.setRecord("fn", { routes, active: false });
      assert.equal(await store.getRoutes("fn"), null);
      assert.deepEqual(await store.getRecord("fn"), { routes, active: false });
    } finally {
      await close();
    }
  });

  Deno.test(`${name}: setRecord() refuses an invalid table and keeps the old one`, async () => {
    const { store, close } = await make();
    try {
      await store.setRecord("fn", { routes: { "/*": "https://a.test" }, active: true });
      await assert.rejects(
        () => store.setRecord("fn", { routes: { "/*": 42 } as never, active: true }),
        (e: { code?: string }) => e.code === "invalid_route_table",
      );
      assert.deepEqual(await store.getRoutes("fn"), { "/*": "https://a.test" });
    } finally {
      await close();
    }
  });

  Deno.test(`${name}: deleteRecord() reports whether a record existed`, async () => {
    const { store, close } = await make();
    try {
      await store.setRecord("fn", { routes: { "/*": "https://a.test" }, active: true });
      assert.equal(await store.deleteRecord("fn"), true);
      assert.equal(await store.deleteRecord("fn"), false);
      assert.equal(await store.getRecord("fn"), null);
    } finally {
      await close();
    }
  });
}

runRouteStoreSuite(
  "MemoryRouteStore",
  () => Promise.resolve({ store: new MemoryRouteStore(), close() {} }),
);

runRouteStoreSuite("KvRouteStore (:memory:)", async () => {
  const kv = await Deno.openKv(":memory:");
  return { store: new KvRouteStore(kv), close: () => kv.close() };
});

runRouteStoreSuite("KvRouteStore (file)", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await Deno.openKv(`${dir}/routes.kv`);
  return {
    store: new KvRouteStore(kv, { prefix: ["test"] }),
    async close() {
      kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("KvRouteStore stores CBOR bytes, readable after reopening the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kv = await Deno.openKv(`${dir}/r.kv`);
    await new KvRouteStore(kv).setRecord("fn", {
      routes: { "/*": "https://a.test" },
      active: true,
    });
    kv.close();
    const again = await Deno.openKv(`${dir}/r.kv`);
    const raw = await again.get(["switchyard", "gateway", "routes", "fn"]);
    assert.ok(raw.value instanceof Uint8Array);
    assert.deepEqual(await new KvRouteStore(again).getRoutes("fn"), { "/*": "https://a.test" });
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
