/**
 * State, vars and lifecycle hooks.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";

export const lifecycleCases: SuiteGroup = {
  name: "lifecycle",
  cases: [
    {
      name: "createState and onCreate get the creation input; onStart runs on load",
      async fn({ client, key, caller }) {
        const c = await caller(client.lifecycle.getOrCreate(key(), { input: { label: "x" } }));
        const state = await c.getState();
        assert.equal(state.label, "x");
        assert.deepEqual(state.input, { label: "x" });
        assert.deepEqual(state.log, ["create:x", "start"]);
      },
    },
    {
      name: "create() passes its input too",
      async fn({ client, key, caller }) {
        const c = await caller(await client.lifecycle.create(key(), { input: { label: "y" } }));
        assert.equal((await c.getState()).label, "y");
      },
    },
    {
      name: "getOrCreate() input only counts when the actor is created",
      async fn({ client, key, caller }) {
        const k = key();
        await client.lifecycle.getOrCreate(k, { input: { label: "first" } }).resolve();
        const c = await caller(client.lifecycle.getOrCreate(k, { input: { label: "second" } }));
        assert.equal((await c.getState()).label, "first");
      },
    },
    {
      name: "onStateChange runs after an action changed the state",
      async fn({ client, key, caller }) {
        const c = await caller(client.lifecycle.getOrCreate(key()));
        const before = await c.stateChanges();
        await c.rename("renamed");
        assert.ok((await c.stateChanges()) > before);
        assert.equal((await c.getState()).label, "renamed");
      },
    },
    {
      name: "vars live between actions",
      async fn({ client, key, caller }) {
        const c = await caller(client.lifecycle.getOrCreate(key()));
        assert.equal(await c.bumpVars(), 1);
        assert.equal(await c.bumpVars(), 2);
        assert.equal(await c.getVars(), 2);
      },
    },
    {
      name: "after a sleep the state is kept and vars are rebuilt",
      needs: ["sleep"],
      kinds: ["inline", "remote-http"],
      async fn({ client, key }) {
        const handle = client.lifecycle.getOrCreate(key(), { input: { label: "z" } });
        await handle.bumpVars();
        await handle.rename("kept");
        await handle.goToSleep();
        assert.equal(await handle.getVars(), 0);
        const state = await handle.getState();
        assert.equal(state.label, "kept");
        assert.ok(state.log.includes("sleep"), `log: ${state.log.join(",")}`);
        assert.ok(state.log.includes("wake"), `log: ${state.log.join(",")}`);
        assert.equal(state.log.filter((l) => l.startsWith("create")).length, 1);
      },
    },
  ],
};
