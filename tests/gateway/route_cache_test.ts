import assert from "node:assert/strict";
import { RouteCache } from "../../src/gateway/route_cache.ts";

Deno.test("get() reads the store once for many concurrent misses of one id", async () => {
  let reads = 0;
  const gate = Promise.withResolvers<void>();
  const cache = new RouteCache<string>(async (id) => {
    reads++;
    await gate.promise;
    return `table of ${id}`;
  });
  const all = Promise.all(Array.from({ length: 50 }, () => cache.get("fn")));
  gate.resolve();
  assert.deepEqual(new Set(await all), new Set(["table of fn"]));
  assert.equal(reads, 1);
  const s = cache.stats();
  assert.equal(s.loads, 1);
  assert.equal(s.misses, 50);
  assert.equal(await cache.get("fn"), "table of fn");
  assert.equal(cache.stats().hits, 1);
});

Deno.test("get() caches functions without routes as negative entries", async () => {
  let reads = 0;
  const cache = new RouteCache<string>(() => (reads++, Promise.resolve(null)));
  assert.equal(await cache.get("none"), null);
  assert.equal(await cache.get("none"), null);
  assert.equal(reads, 1);
  assert.equal(cache.peek("none"), null);
  assert.equal(cache.peek("other"), undefined);
});

Deno.test("entries expire after the TTL and cleanup() reports how many it removed", async () => {
  let t = 0;
  let reads = 0;
  const cache = new RouteCache<number>((id) => Promise.resolve(reads++ + id.length), {
    ttl: 100,
    now: () => t,
  });
  assert.equal(cache.stats().ttl, 100);
  await cache.get("a");
  await cache.get("bb");
  t = 50;
  await cache.get("ccc");
  t = 100;
  assert.equal(cache.peek("a"), undefined);
  assert.equal(cache.cleanup(), 2);
  assert.equal(cache.stats().size, 1);
  await cache.get("a");
  assert.equal(reads, 4);
  assert.equal(new RouteCache(() => Promise.resolve(1)).stats().ttl, 300_000);
});

Deno.test("invalidate() and clear() force the next lookup to read again", async () => {
  let version = 0;
  const cache = new RouteCache<number>(() => Promise.resolve(++version));
  assert.equal(await cache.get("x"), 1);
  assert.equal(cache.invalidate("x"), true);
  assert.equal(cache.invalidate("x"), false);
  assert.equal(await cache.get("x"), 2);
  cache.clear();
  assert.equal(cache.stats().size, 0);
  assert.equal(await cache.get("x"), 3);
});

Deno.test("a load in progress when its id is invalidated is not stored", async () => {
  const gate = Promise.withResolvers<void>();
  let version = 0;
  const cache = new RouteCache<number>(async () => {
    const v = ++version;
    if (v === 1) await gate.promise;
    return v;
  });
  const stale = cache.get("x");
  cache.invalidate("x");
  gate.resolve();
  assert.equal(await stale, 1);
  assert.equal(cache.peek("x"), undefined);
  assert.equal(await cache.get("x"), 2);
});

Deno.test("a failed load rejects its waiters and is not cached", async () => {
  let fail = true;
  const cache = new RouteCache<string>(() =>
    fail ? Promise.reject(new Error("store down")) : Promise.resolve("ok")
  );
  const results = await Promise.allSettled([cache.get("x"), cache.get("x")]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  fail = false;
  assert.equal(await cache.get("x"), "ok");
});
