/**
 * The kv driver's promises about writes: acknowledged means committed (by
 * default), `durable: false` opts out, writes are grouped, failed writes are
 * retried then refused with `storage_failed`, creation is atomic across
 * servers sharing the file, alarms survive restarts, idle actors sleep.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { kvDriver } from "../drivers/kv.ts";
import { StoreControl, storedState, tempKvPath, withRawKv } from "./kv_test_utils.ts";

let onTick = () => {};
let onSleep = (_key: string) => {};
let onWake = () => {};
const counter = actor({
  state: { n: 0 },
  actions: { inc: (c) => ++c.state.n, get: (c) => c.state.n },
});
const lazy = actor({
  state: { n: 0 },
  options: { durable: false, stateSaveInterval: 60_000 },
  actions: { inc: (c) => ++c.state.n },
});
const timer = actor({
  state: { ticks: 0 },
  actions: {
    later: async (c, ms: number) => {
      await c.schedule.after(ms, "tick");
    },
    tick: (c) => {
      c.state.ticks++;
      onTick();
    },
    ticks: (c) => c.state.ticks,
  },
});
const sleeper = actor({
  state: { n: 0 },
  options: { sleepTimeout: 20 },
  onSleep: (c) => onSleep(c.key[0]!),
  onWake: () => onWake(),
  actions: { inc: (c) => ++c.state.n, ping: () => "pong" },
});
const registry = setup({ use: { counter, lazy, timer, sleeper } });
const quiet = () => {};

Deno.test("an action answers only once its change is in the file", async () => {
  const path = tempKvPath();
  const server = registry.createServer({ driver: await kvDriver({ path }), logger: quiet });
  try {
    const h = server.client.counter.getOrCreate(["a"]);
    assert.equal(await h.inc(), 1);
    assert.deepEqual(await storedState(path, await h.resolve()), { n: 1 });
    assert.equal(await h.inc(), 2);
    assert.deepEqual(await storedState(path, await h.resolve()), { n: 2 });
  } finally {
    await server.shutdown();
  }
});

Deno.test("a durable action waits for its commit; a durable: false one answers at once", async () => {
  const control = new StoreControl();
  const driver = await kvDriver({ path: ":memory:", wrapStore: control.wrap });
  const server = registry.createServer({ driver, logger: quiet });
  try {
    const d = server.client.counter.getOrCreate(["d"]);
    const l = server.client.lazy.getOrCreate(["l"]);
    await d.inc();
    await l.inc();
    control.hold();
    let answered = false;
    const arrived = control.nextCommit();
    const pending = d.inc().then((v) => {
      answered = true;
      return v;
    });
    await arrived; // the commit is on its way and held
    assert.equal(await l.inc(), 2); // not durable: no wait
    assert.equal(answered, false);
    control.release();
    assert.equal(await pending, 2);
  } finally {
    control.release();
    await server.shutdown();
  }
});

Deno.test("concurrent durable actions of many actors share commits", async () => {
  const control = new StoreControl();
  const driver = await kvDriver({ path: tempKvPath(), wrapStore: control.wrap });
  const server = registry.createServer({ driver, logger: quiet });
  try {
    const handles = Array.from(
      { length: 50 },
      (_, i) => server.client.counter.getOrCreate([`g${i}`]),
    );
    await Promise.all(handles.map((h) => h.inc()));
    const before = control.commits;
    const results = await Promise.all(handles.flatMap((h) => [h.inc(), h.inc(), h.inc()]));
    assert.equal(results.length, 150);
    assert.deepEqual(await Promise.all(handles.map((h) => h.get())), handles.map(() => 4));
    const commits = control.commits - before;
    assert.ok(commits <= 10, `150 durable actions took ${commits} commits`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("concurrent durable actions on one actor share commits", async () => {
  const control = new StoreControl();
  const driver = await kvDriver({ path: tempKvPath(), wrapStore: control.wrap });
  const server = registry.createServer({ driver, logger: quiet });
  try {
    const h = server.client.counter.getOrCreate(["one"]);
    await h.inc();
    const before = control.commits;
    // 16 callers, each calling again as soon as it is answered.
    const results: number[] = [];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let i = 0; i < 8; i++) results.push(await h.inc());
    }));
    assert.deepEqual(
      results.toSorted((a, b) => a - b),
      Array.from({ length: 128 }, (_, i) => i + 2),
    );
    const commits = control.commits - before;
    assert.ok(commits <= 40, `128 durable actions on one actor took ${commits} commits`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a commit that fails a few times is retried and the action answers", async () => {
  const control = new StoreControl();
  const logs: string[] = [];
  const driver = await kvDriver({ path: ":memory:", wrapStore: control.wrap, retryDelay: 1 });
  const server = registry.createServer({ driver, logger: (_l, m) => logs.push(m) });
  try {
    const h = server.client.counter.getOrCreate(["r"]);
    await h.inc();
    control.failNext(2);
    assert.equal(await h.inc(), 2);
    assert.equal(logs.filter((m) => m === "KV commit failed").length, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a commit that keeps failing answers storage_failed, and the next write stores both changes", async () => {
  const control = new StoreControl();
  const path = tempKvPath();
  const driver = await kvDriver({ path, wrapStore: control.wrap, retryDelay: 1 });
  const server = registry.createServer({ driver, logger: quiet });
  let id = "";
  try {
    const h = server.client.counter.getOrCreate(["f"]);
    id = await h.resolve();
    await h.inc();
    control.failNext(4); // the first try and three retries
    await assert.rejects(h.inc(), (e: { code?: string }) => e.code === "storage_failed");
    assert.deepEqual(await storedState(path, id), { n: 1 });
    assert.equal(await h.inc(), 3);
  } finally {
    await server.shutdown();
  }
  assert.deepEqual(await storedState(path, id), { n: 3 });
});

Deno.test("getOrCreate() from two servers on one file returns one actor; create() of a taken key answers actor_already_exists", async () => {
  const path = tempKvPath();
  const a = registry.createServer({ driver: await kvDriver({ path }), logger: quiet });
  const b = registry.createServer({ driver: await kvDriver({ path }), logger: quiet });
  try {
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).client.counter.getOrCreate(["race"]))
        .map((h) => h.resolve()),
    );
    assert.equal(new Set(ids).size, 1);
    const outcomes = await Promise.allSettled([
      a.client.counter.create(["taken"]),
      b.client.counter.create(["taken"]),
      a.client.counter.create(["taken"]),
    ]);
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
    for (const o of outcomes) {
      if (o.status === "rejected") assert.equal(o.reason.code, "actor_already_exists");
    }
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

Deno.test("a scheduled action fires after a restart, late, once", async () => {
  const path = tempKvPath();
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const first = registry.createServer({ driver: await kvDriver({ path, clock }), logger: quiet });
  const id = await first.client.timer.getOrCreate(["t"]).resolve();
  await first.client.timer.getOrCreate(["t"]).later(3_600_000);
  await first.shutdown();

  offset = 7_200_000; // two hours later
  const ticked = new Promise<void>((r) => (onTick = r));
  const second = registry.createServer({ driver: await kvDriver({ path, clock }), logger: quiet });
  try {
    await ticked; // nobody called the actor: the stored alarm woke it
    assert.equal(await second.client.timer.getOrCreate(["t"]).ticks(), 1);
  } finally {
    await second.shutdown();
  }
  assert.deepEqual(await storedState(path, id), { ticks: 1 });
  const alarm = await withRawKv(path, (kv) => kv.get(["sy", "alarm", id]));
  assert.equal(alarm.versionstamp, null, "the alarm is gone once its action ran");
});

Deno.test("an idle actor sleeps with its state stored and wakes on the next call", async () => {
  const path = tempKvPath();
  const server = registry.createServer({ driver: await kvDriver({ path }), logger: quiet });
  try {
    const h = server.client.sleeper.getOrCreate(["s"]);
    const slept = new Promise<void>((r) => (onSleep = () => r()));
    assert.equal(await h.inc(), 1);
    await slept;
    assert.deepEqual(await storedState(path, await h.resolve()), { n: 1 });
    const woke = new Promise<void>((r) => (onWake = r));
    assert.equal(await h.inc(), 2);
    await woke;
  } finally {
    await server.shutdown();
  }
});

Deno.test("a live connection keeps an actor awake while an idle one sleeps", async () => {
  const server = registry.createServer({
    driver: await kvDriver({ path: ":memory:" }),
    logger: quiet,
  });
  const slept: string[] = [];
  const idleSlept = new Promise<void>((r) => {
    onSleep = (key) => key === "idle" ? r() : void slept.push(key);
  });
  try {
    const conn = server.client.sleeper.getOrCreate(["kept"]).connect();
    await conn.ready();
    const idle = server.client.sleeper.getOrCreate(["idle"]);
    await idle.inc();
    await idleSlept; // armed after the connected actor's timer, so that one was checked first
    assert.equal(slept.length, 0);
    assert.equal(await conn.ping(), "pong");
    await conn.dispose();
  } finally {
    onSleep = () => {};
    await server.shutdown();
  }
});
