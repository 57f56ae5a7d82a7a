/**
 * `server.shutdown()` with actions still running: they finish and their
 * changes are written before it resolves; an action that outlives the drain
 * is refused rather than acknowledged.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, type DriverFactory, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import type { ActorDriver } from "../src/driver/mod.ts";
import { decodeCbor } from "../src/common/encoding.ts";

function capturing(): { factory: DriverFactory; stored(actorId: string): Promise<unknown> } {
  let actorDriver: ActorDriver | undefined;
  return {
    factory: {
      name: "memory (captured)",
      create(context) {
        const pair = memoryDriver().create(context);
        actorDriver = pair.actor;
        return pair;
      },
    },
    async stored(actorId) {
      const bytes = await actorDriver!.readState(actorId);
      return bytes && (decodeCbor(bytes) as { state: unknown }).state;
    },
  };
}

function slowActor(actionTimeout: number) {
  const started = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const slow = actor({
    state: { n: 0 },
    options: { actionTimeout },
    actions: {
      set: async (c, v: number) => {
        started.resolve();
        await release.promise;
        c.state.n = v;
        return v;
      },
      get: (c) => c.state.n,
    },
  });
  return { slow, started, release };
}

Deno.test("shutdown waits for a running action and writes its change before it resolves", async () => {
  const { slow, started, release } = slowActor(60_000);
  const cap = capturing();
  const server = setup({ use: { slow } }).createServer({ driver: cap.factory, logger: () => {} });
  const handle = server.client.slow.getOrCreate(["a"]);
  const actorId = await handle.resolve();
  const call = handle.set(100);
  await started.promise;
  // What is stored at the moment shutdown resolves, whenever that is.
  const storedAtShutdown = server.shutdown().then(() => cap.stored(actorId));
  release.resolve();
  assert.equal(await call, 100);
  assert.deepEqual(await storedAtShutdown, { n: 100 }, "the acknowledged change is stored");
});

Deno.test("an action that outlives the drain is refused, not acknowledged", async () => {
  const { slow, started, release } = slowActor(50);
  const cap = capturing();
  const server = setup({ use: { slow } }).createServer({ driver: cap.factory, logger: () => {} });
  const handle = server.client.slow.getOrCreate(["a"]);
  const actorId = await handle.resolve();
  const call = handle.set(7);
  const outcome = call.then(() => "acknowledged", (err) => err.code);
  await started.promise;
  await server.shutdown();
  release.resolve();
  const got = await outcome;
  assert.ok(got !== "acknowledged", "never acknowledged after the final flush");
  assert.ok(got === "action_timed_out" || got === "actor_stopped", `got ${got}`);
  assert.deepEqual(await cap.stored(actorId), { n: 0 });
});
