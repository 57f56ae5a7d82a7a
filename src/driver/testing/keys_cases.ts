/**
 * Keys and the get / getOrCreate / create / getForId semantics.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { rejectsWith } from "./_helpers.ts";

export const keyCases: SuiteGroup = {
  name: "keys",
  cases: [
    {
      name: "getOrCreate() returns the same actor for equal keys",
      async fn({ client, caller }) {
        const key = crypto.randomUUID();
        const a = await caller(client.counter.getOrCreate(key));
        const b = await caller(client.counter.getOrCreate([key]));
        assert.equal(await a.increment(1), 1);
        assert.equal(await b.increment(1), 2);
        assert.equal(
          await client.counter.getOrCreate(key).resolve(),
          await client.counter.getOrCreate([key]).resolve(),
        );
      },
    },
    {
      name: "different keys name different actors, also when parts contain '/'",
      async fn({ client }) {
        const id = crypto.randomUUID();
        const keys = [[id, "a", "b"], [id, "a/b"], [id, "ab"], [id, "a", "b", ""], [id]];
        const ids = await Promise.all(keys.map((k) => client.counter.getOrCreate(k).resolve()));
        assert.equal(new Set(ids).size, keys.length);
      },
    },
    {
      name: "get() rejects with actor_not_found when no actor has the key",
      async fn({ client, key }) {
        const handle = client.counter.get(key());
        await rejectsWith(handle.resolve(), "actor_not_found");
        await rejectsWith(handle.getCount(), "actor_not_found");
      },
    },
    {
      name: "get() reaches an actor made by getOrCreate()",
      async fn({ client, key, caller }) {
        const k = key();
        await client.counter.getOrCreate(k).increment(5);
        const got = await caller(client.counter.get(k));
        assert.equal(await got.getCount(), 5);
      },
    },
    {
      name: "create() makes a new actor and rejects a taken key with actor_already_exists",
      async fn({ client, key, caller }) {
        const k = key();
        const created = await client.counter.create(k);
        const c = await caller(created);
        assert.equal(await c.increment(2), 2);
        await rejectsWith(client.counter.create(k), "actor_already_exists");
        assert.equal(await client.counter.get(k).getCount(), 2);
        assert.equal(await created.resolve(), await client.counter.get(k).resolve());
      },
    },
    {
      name: "getForId() reaches the actor and rejects unknown ids with actor_not_found",
      async fn({ client, key, caller }) {
        const k = key();
        const id = await client.counter.getOrCreate(k).resolve();
        await client.counter.getOrCreate(k).increment(3);
        const byId = await caller(client.counter.getForId(id));
        assert.equal(await byId.getCount(), 3);
        await rejectsWith(
          client.counter.getForId("no-such-actor-id").getCount(),
          "actor_not_found",
        );
      },
    },
    {
      name: "an actor knows its id, name and key",
      async fn({ client, caller }) {
        const k = [crypto.randomUUID(), "second part"];
        const handle = client.counter.getOrCreate(k);
        const meta = await (await caller(handle)).whoAmI();
        assert.equal(meta.actorId, await handle.resolve());
        assert.equal(meta.name, "counter");
        assert.deepEqual(meta.key, k);
      },
    },
    {
      name: "an empty key is a key like any other",
      async fn({ client }) {
        const a = await client.plain.getOrCreate().resolve();
        const b = await client.plain.getOrCreate([]).resolve();
        assert.equal(a, b);
      },
    },
  ],
};
