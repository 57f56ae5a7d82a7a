/**
 * The HTTP action fast path of the manager router: `callAction` answering
 * synchronously, `peekLocal` of the memory driver, shared read-only intents,
 * and metrics counted on the direct path.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, type DriverFactory, type ManagerDriver, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { intentsOf } from "../src/manager/admission.ts";

const seen: ReadonlySet<string>[] = [];
const counter = actor({
  state: { count: 0 },
  onAuth: ({ intents }) => {
    seen.push(intents);
  },
  actions: {
    increment: (c, by: number) => (c.state.count += by),
    later: async (c) => {
      await Promise.resolve();
      return c.state.count;
    },
    thenable: (c) => ({
      then(resolve: (v: unknown) => void) {
        resolve(c.state.count * 10);
      },
    }),
    fail: () => {
      throw new Error("boom");
    },
  },
});
const durable = actor({
  state: { n: 0 },
  options: { durable: true },
  actions: { bump: (c) => ++c.state.n },
});
const registry = setup({ use: { counter, durable } });

/** A memory driver whose manager half the test can reach. */
function capturing(): { driver: DriverFactory; manager: () => ManagerDriver } {
  const inner = memoryDriver();
  let manager: ManagerDriver | undefined;
  return {
    driver: {
      name: inner.name,
      create(context) {
        const pair = inner.create(context);
        manager = pair.manager;
        return pair;
      },
    },
    manager: () => manager!,
  };
}

function action(name: string, key: string, args: unknown[]): Request {
  return new Request(`http://local/actors/actions/${name}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-sy-query": JSON.stringify({ getOrCreateForKey: { name: "counter", key: [key] } }),
    },
    body: JSON.stringify({ args }),
  });
}

Deno.test("callAction answers a plain handler synchronously and a promise otherwise", async () => {
  const { driver: factory, manager } = capturing();
  const server = registry.createServer({ driver: factory });
  const c = server.client.counter.getOrCreate(["sync"]);
  await c.increment(2);
  const d = server.client.durable.getOrCreate(["sync"]);
  await d.bump();
  const driver = manager();
  const live = driver.local(await c.resolve());
  assert.ok(live && !(live instanceof Promise), "a running actor is answered without a wait");
  assert.equal(live.callAction("increment", [3], {}), 5);
  const later = live.callAction("later", [], {});
  assert.ok(later instanceof Promise);
  assert.equal(await later, 5);
  // A thenable result is awaited, as the async runAction always did.
  const thenable = live.callAction("thenable", [], {});
  assert.ok(thenable instanceof Promise);
  assert.equal(await thenable, 50);
  assert.equal(await live.callAction("increment", [1]), 6);
  assert.throws(() => live.callAction("fail", [], {}), /boom/);
  assert.throws(() => live.callAction("nope", [], {}), { code: "action_not_found" });
  // A durable actor saves after the action, so its answer is a promise.
  const dLive = driver.local(await d.resolve());
  assert.ok(dLive && !(dLive instanceof Promise));
  const bumped = dLive.callAction("bump", [], {});
  assert.ok(bumped instanceof Promise);
  assert.equal(await bumped, 2);
  await server.shutdown();
});

Deno.test("local() answers a running actor at once, loads a sleeping one, refuses after shutdown", async () => {
  const { driver: factory, manager } = capturing();
  const server = registry.createServer({ driver: factory });
  const driver = manager();
  const handle = server.client.counter.getOrCreate(["local"]);
  const actorId = await handle.resolve();
  const first = driver.local(actorId);
  assert.ok(first instanceof Promise, "an actor that never ran is loaded first");
  const live = await first;
  assert.equal(driver.local(actorId), live, "then it is answered without a wait");
  await handle.increment(1);
  await server.shutdown();
  await assert.rejects(Promise.resolve(driver.local(actorId)), { code: "actor_stopped" });
});

Deno.test("onAuth gets shared intents that cannot be changed", async () => {
  const a = intentsOf({ getOrCreateForKey: { name: "counter", key: ["x"] } }, "action");
  const b = intentsOf({ getOrCreateForKey: { name: "counter", key: ["y"] } }, "action");
  assert.equal(a, b, "one set per kind of request");
  assert.deepEqual([...a].sort(), ["action", "create", "get"]);
  const mutable = a as Set<string>;
  assert.throws(() => mutable.add("message"), TypeError);
  assert.throws(() => mutable.delete("get"), TypeError);
  assert.throws(() => mutable.clear(), TypeError);
  assert.equal(a.size, 3);

  const server = registry.createServer({ driver: memoryDriver() });
  seen.length = 0;
  const res = await server.fetch(action("increment", "intents", [1]));
  assert.deepEqual(await res.json(), { output: 1 });
  assert.deepEqual([...seen[0]!].sort(), ["action", "create", "get"]);
  await server.shutdown();
});

Deno.test("HTTP actions on the direct path are counted in /metrics", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  for (let i = 0; i < 3; i++) {
    assert.equal((await server.fetch(action("increment", "m", [1]))).status, 200);
  }
  const failed = await server.fetch(action("fail", "m", []));
  assert.equal(failed.status, 500);
  await failed.body?.cancel();
  const missing = await server.fetch(action("nope", "m", []));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const text = await (await server.fetch(new Request("http://local/metrics"))).text();
  assert.match(text, /switchyard_http_responses_total\{status="200"\} 3\n/);
  assert.match(text, /switchyard_http_responses_total\{status="500"\} 1\n/);
  assert.match(text, /switchyard_http_responses_total\{status="404"\} 1\n/);
  assert.match(text, /switchyard_actions_total\{actor="counter",outcome="ok"\} 3\n/);
  assert.match(text, /switchyard_actions_total\{actor="counter",outcome="error"\} 1\n/);
  await server.shutdown();
});
