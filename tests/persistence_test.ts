/**
 * Drivers that fail to store or unload an actor: the caller of a `durable`
 * action hears of it, the server keeps running, and the next write stores
 * everything.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, type DriverFactory, setup } from "../mod.ts";
import type { ActorDriver } from "../src/driver/mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { decodeCbor } from "../src/common/encoding.ts";

/**
 * A memory driver whose next `writeState` calls can be made to fail. The
 * memory driver hands itself to the instances it creates, so the method is
 * replaced on the driver object.
 */
function flakyWrites() {
  const inner = memoryDriver();
  let failures = 0;
  let actorDriver: ActorDriver | undefined;
  const waiting: Array<(outcome: "ok" | "failed") => void> = [];
  const factory: DriverFactory = {
    name: "flaky writes",
    create(context) {
      const pair = inner.create(context);
      const a = actorDriver = pair.actor;
      const write = a.writeState.bind(a);
      a.writeState = async (actorId, bytes) => {
        const fail = failures > 0;
        if (fail) failures--;
        try {
          if (fail) throw new Error("disk full");
          await write(actorId, bytes);
        } finally {
          for (const w of waiting.splice(0)) w(fail ? "failed" : "ok");
        }
      };
      return pair;
    },
  };
  return {
    factory,
    failNext(n = 1) {
      failures = n;
    },
    /** Resolves at the next write attempt with its outcome. */
    nextWrite(): Promise<"ok" | "failed"> {
      return new Promise((resolve) => waiting.push(resolve));
    },
    async stored(actorId: string): Promise<unknown> {
      const bytes = await actorDriver!.readState(actorId);
      return bytes && (decodeCbor(bytes) as { state: unknown }).state;
    },
  };
}

const logs: string[] = [];
const durable = actor({
  state: { n: 0 },
  options: { durable: true },
  actions: { bump: (c) => ++c.state.n },
});
const lazy = actor({
  state: { n: 0 },
  options: { stateSaveInterval: 5 },
  actions: { bump: (c) => ++c.state.n },
});
let slept = () => {};
const sleepy = actor({
  state: { n: 0 },
  options: { sleepTimeout: 10 },
  onSleep: () => slept(),
  actions: { bump: (c) => ++c.state.n },
});
const registry = setup({ use: { durable, lazy, sleepy } });

Deno.test("a failed write fails its durable action, and the next write stores both changes", async () => {
  const flaky = flakyWrites();
  const server = registry.createServer({ driver: flaky.factory, logger: (_l, m) => logs.push(m) });
  const handle = server.client.durable.getOrCreate(["a"]);
  const actorId = await handle.resolve();
  assert.equal(await handle.bump(), 1);
  flaky.failNext();
  await assert.rejects(handle.bump(), { code: "internal_error" });
  assert.ok(logs.includes("Saving state failed"));
  assert.deepEqual(await flaky.stored(actorId), { n: 1 });
  // The change that failed to save is kept and goes out with the next one.
  assert.equal(await handle.bump(), 3);
  assert.deepEqual(await flaky.stored(actorId), { n: 3 });
  await server.shutdown();
});

Deno.test("a failed background write is logged, and the next change is stored", async () => {
  const flaky = flakyWrites();
  const server = registry.createServer({ driver: flaky.factory, logger: () => {} });
  const handle = server.client.lazy.getOrCreate(["b"]);
  const actorId = await handle.resolve();
  // The first save of a new actor joins its first action's save.
  flaky.failNext();
  const failed = flaky.nextWrite();
  assert.equal(await handle.bump(), 1);
  assert.equal(await failed, "failed");
  const ok = flaky.nextWrite();
  assert.equal(await handle.bump(), 2);
  assert.equal(await ok, "ok");
  assert.deepEqual(await flaky.stored(actorId), { n: 2 });
  await server.shutdown();
});

Deno.test("a driver that fails to unload a sleeping actor does not stop it from waking", async () => {
  const inner = memoryDriver();
  const errors: string[] = [];
  const server = registry.createServer({
    driver: {
      name: "failing sleep",
      create(context) {
        const pair = inner.create(context);
        pair.actor.sleep = () => Promise.reject(new Error("unload failed"));
        return pair;
      },
    },
    logger: (level, message) => void (level === "error" && errors.push(message)),
  });
  const asleep = new Promise<void>((resolve) => slept = resolve);
  const handle = server.client.sleepy.getOrCreate(["s"]);
  assert.equal(await handle.bump(), 1);
  await asleep;
  // The next call waits for the stop, then wakes a new instance from the stored state.
  assert.equal(await handle.bump(), 2);
  assert.deepEqual(errors, ["Unloading a sleeping actor failed"]);
  await server.shutdown();
});
