/**
 * A new `durable` actor writes its initial state with its first call: the
 * call is answered only once that state is stored, even when it changes
 * nothing, and creating the actor costs no write of its own.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, type DriverFactory, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";

function countingWrites(): { factory: DriverFactory; writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    factory: {
      name: "memory (counting writes)",
      create(context) {
        const pair = memoryDriver().create(context);
        const write = pair.actor.writeState.bind(pair.actor);
        pair.actor.writeState = async (actorId, bytes) => {
          await write(actorId, bytes);
          writes.push(actorId);
        };
        return pair;
      },
    },
  };
}

Deno.test("a durable actor's first call, even a read, is answered after its state is written", async () => {
  const seeded = actor({
    createState: () => ({ seed: crypto.randomUUID() }),
    options: { durable: true },
    actions: { seed: (c) => c.state.seed },
  });
  const { factory, writes } = countingWrites();
  const server = setup({ use: { seeded } }).createServer({ driver: factory, logger: () => {} });
  const handle = server.client.seeded.getOrCreate(["a"]);
  const id = await handle.resolve();
  await handle.seed();
  assert.deepEqual(writes, [id], "one write, done before the answer");
  await handle.seed();
  assert.deepEqual(writes, [id], "a read after it writes nothing");
  await server.shutdown();
});
