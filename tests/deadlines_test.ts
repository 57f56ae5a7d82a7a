import assert from "node:assert/strict";
import { DeadlineSweeper } from "../src/common/deadlines.ts";

// Hosts such as Durable Objects run a timer's callback in the context of whoever set it:
// with `ownTimers`, no deadline's callback runs from another deadline's timer.
Deno.test("with ownTimers each deadline fires from a timer of its own, and cancel() stops it", async () => {
  const sweeper = new DeadlineSweeper();
  sweeper.ownTimers = true;
  const created: number[] = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    created.push(ms ?? 0);
    return original(fn, ms);
  }) as typeof setTimeout;
  try {
    const fired: string[] = [];
    const done = Promise.withResolvers<void>();
    sweeper.add(5, () => fired.push("a"));
    const b = sweeper.add(5, () => fired.push("b"));
    sweeper.add(10, () => {
      fired.push("c");
      done.resolve();
    });
    b.cancel();
    await done.promise;
    assert.deepEqual(fired, ["a", "c"]);
    assert.deepEqual(created, [5, 5, 10]);
  } finally {
    globalThis.setTimeout = original;
  }
});
