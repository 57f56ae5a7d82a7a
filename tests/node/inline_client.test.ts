import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { nextValues, type Served, start } from "./_fixture.ts";

let served: Served;
before(async () => {
  served = await start();
});
after(() => served.close());

test("inline client runs actions on Node", async () => {
  const handle = served.server.client.counter.getOrCreate(["inline-actions"]);
  assert.equal(await handle.increment(2), 2);
  assert.equal(await handle.increment(3), 5);
  assert.equal(await handle.count(), 5);
});

test("inline client rejects with the action's error code", async () => {
  const handle = served.server.client.counter.getOrCreate(["inline-error"]);
  await assert.rejects(handle.fail(), (err: { code?: string; metadata?: unknown }) => {
    assert.equal(err.code, "refused");
    assert.deepEqual(err.metadata, { why: "test" });
    return true;
  });
});

test("inline connection receives events and runs actions", async () => {
  const conn = served.server.client.counter.getOrCreate(["inline-conn"]).connect();
  const events = nextValues<number>((l) => conn.on("changed", l), 2);
  await conn.ready();
  assert.equal(await conn.increment(1), 1);
  assert.equal(await conn.increment(1), 2);
  assert.deepEqual(await events, [1, 2]);
  await conn.dispose();
});
