/**
 * What persistent drivers keep across a restart of the server (run when the
 * suite has a `reopen` option): state, scheduled actions, slept actors, and
 * what connected clients are told.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { nextError, waitForEvent } from "./_helpers.ts";

export const persistenceCases: SuiteGroup = {
  name: "persistence",
  cases: [
    {
      name: "state survives a restart, and the key still names the same actor",
      needs: ["persistence"],
      kinds: ["inline", "remote-http"],
      async fn(ctx) {
        const k = ctx.key();
        const before = ctx.client.counter.getOrCreate(k);
        await before.increment(2);
        assert.equal(await before.increment(3), 5);
        const id = await before.resolve();
        await ctx.restart();
        const after = ctx.client.counter.getOrCreate(k);
        assert.equal(await after.resolve(), id);
        assert.equal(await after.getCount(), 5);
        assert.equal(await after.increment(1), 6);
      },
    },
    {
      name: "a scheduled action fires after a restart",
      needs: ["persistence", "alarms"],
      kinds: ["inline", "remote-ws"],
      async fn(ctx) {
        const k = ctx.key();
        await ctx.client.scheduler.getOrCreate(k).tickLater(300, "after-restart");
        await ctx.restart();
        const conn = ctx.client.scheduler.getOrCreate(k).connect();
        const ticked = waitForEvent<string>(conn, "ticked", (v) => v === "after-restart");
        await conn.ready();
        // Fired before the connection was up, or fires now.
        if (!(await conn.ticks()).includes("after-restart")) await ticked;
        assert.deepEqual(await conn.ticks(), ["after-restart"]);
      },
    },
    {
      name: "a slept actor keeps its state across a restart and wakes once",
      needs: ["persistence", "sleep"],
      kinds: ["inline", "remote-http"],
      async fn(ctx) {
        const k = ctx.key();
        const handle = ctx.client.lifecycle.getOrCreate(k, { input: { label: "z" } });
        await handle.rename("kept");
        await handle.goToSleep();
        await ctx.restart();
        const state = await ctx.client.lifecycle.getOrCreate(k).getState();
        assert.equal(state.label, "kept");
        assert.ok(state.log.includes("sleep"), `log: ${state.log.join(",")}`);
        assert.equal(state.log.filter((l) => l.startsWith("create")).length, 1);
      },
    },
    {
      name: "after a restart a connected client reconnects and is told its connection was reset",
      needs: ["persistence", "reconnect"],
      kinds: ["remote-ws", "remote-sse"],
      async fn(ctx) {
        const k = ctx.key();
        const conn = ctx.client.counter.getOrCreate(k).connect();
        const firstId = await conn.ready();
        await conn.increment(1);
        const reset = nextError(conn, "connection_reset");
        await ctx.restart();
        const err = await reset;
        assert.equal((err.metadata as { previousConnId: string }).previousConnId, firstId);
        assert.notEqual(conn.id, firstId);
        assert.equal(await conn.increment(1), 2);
      },
    },
  ],
};
