/**
 * Actions: values, state, errors, timeouts and argument schemas.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { rejectsWith } from "./_helpers.ts";

export const actionCases: SuiteGroup = {
  name: "actions",
  cases: [
    {
      name: "actions return their values unchanged",
      async fn({ client, key, caller }) {
        const c = await caller(client.counter.getOrCreate(key()));
        const values = [0, -1.5, "text ✓", true, null, [1, "two", [3]], {
          a: { b: [1, 2] },
          c: "d",
        }];
        for (const v of values) assert.deepEqual(await c.echo(v), v);
      },
    },
    {
      name: "state changes persist between actions",
      async fn({ client, key, caller }) {
        const c = await caller(client.counter.getOrCreate(key()));
        assert.equal(await c.increment(1), 1);
        assert.equal(await c.increment(10), 11);
        assert.equal(await c.getCount(), 11);
      },
    },
    {
      name: "concurrent actions all run",
      async fn({ client, key, caller }) {
        const c = await caller(client.counter.getOrCreate(key()));
        const results = await Promise.all(Array.from({ length: 20 }, () => c.increment(1)));
        assert.deepEqual(
          [...results].sort((a, b) => a - b),
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        assert.equal(await c.getCount(), 20);
      },
    },
    {
      name: "user errors reach the client with their code, message and metadata",
      async fn({ client, key, caller }) {
        const c = await caller(client.failing.getOrCreate(key()));
        const err = await rejectsWith(
          c.userError("insufficient_funds", { balance: 3 }),
          "insufficient_funds",
        );
        assert.equal(err.message, "Custom failure");
        assert.deepEqual(err.metadata, { balance: 3 });
      },
    },
    {
      name: "internal errors are masked as internal_error",
      async fn({ client, key, caller }) {
        const c = await caller(client.failing.getOrCreate(key()));
        const err = await rejectsWith(c.internalError(), "internal_error");
        assert.equal(err.message, "Internal error");
        assert.ok(!JSON.stringify(err.metadata ?? null).includes("secret"));
      },
    },
    {
      name: "an unknown action rejects with action_not_found",
      async fn({ client, key, caller }) {
        const c = await caller(client.counter.getOrCreate(key())) as unknown as Record<
          string,
          () => Promise<unknown>
        >;
        await rejectsWith(c.noSuchAction!(), "action_not_found");
      },
    },
    {
      name: "an action that runs too long rejects with action_timed_out",
      async fn({ client, key, caller }) {
        const c = await caller(client.failing.getOrCreate(key()));
        await rejectsWith(c.hang(), "action_timed_out");
        assert.equal(await c.release(), 1);
      },
    },
    {
      name:
        "schema-checked actions accept good arguments and reject bad ones with invalid_arguments",
      async fn({ client, key, caller }) {
        const c = await caller(client.counter.getOrCreate(key()));
        assert.equal(await c.add(2, 3), 5);
        const bad = c.add as unknown as (...args: unknown[]) => Promise<unknown>;
        await rejectsWith(bad("2", 3), "invalid_arguments");
        await rejectsWith(bad(1), "invalid_arguments");
      },
    },
    {
      name: "errors leave the actor working",
      async fn({ client, key, caller }) {
        const c = await caller(client.failing.getOrCreate(key()));
        await rejectsWith(c.internalError(), "internal_error");
        assert.equal(await c.release(), 0);
      },
    },
  ],
};
