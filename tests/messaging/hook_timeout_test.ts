import assert from "node:assert/strict";
import { actor, setup } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { type DeadLetter, MessageRouter } from "../../src/messaging/mod.ts";

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, String(err));
    return;
  }
  assert.fail(`Expected "${code}"`);
}

/** Quiets the log line of an abandoned hook while `fn` runs; returns what was logged. */
async function quietly(fn: () => Promise<void>): Promise<unknown[]> {
  const logged: unknown[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => void logged.push(args[0]);
  try {
    await fn();
  } finally {
    console.error = error;
  }
  return logged;
}

const hanger = actor({
  state: { answered: 0 },
  actions: { ping: () => "pong" },
  onRequest: (c, data) => {
    if (data === "hang") return new Promise(() => {});
    return ++c.state.answered;
  },
  options: { actionTimeout: 50 },
});

Deno.test("a hung onRequest is abandoned after actionTimeout and later requests are answered", async () => {
  const server = setup({ use: { hanger } }).createServer({
    driver: memoryDriver(),
    logger: () => {},
  });
  try {
    const handle = server.client.hanger.getOrCreate(["a"]);
    const id = await handle.resolve();
    const logged = await quietly(async () => {
      await rejectsWith(
        server.messaging.request(id, "hang", { timeout: 5000 }),
        "handler_timed_out",
      );
      // The mailbox moved on: the next requests are answered, not timed out.
      assert.equal(await server.messaging.request(id, "next", { timeout: 5000 }), 1);
      assert.equal(await server.messaging.request(id, "next", { timeout: 5000 }), 2);
    });
    assert.equal(await handle.ping(), "pong");
    assert.deepEqual(logged.map((e) => (e as { code: string }).code), ["handler_timed_out"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("hookTimeout abandons any hung hook: requests fail, messages become dead letters", async () => {
  const letters: DeadLetter[] = [];
  const router = new MessageRouter({ onDeadLetter: (l) => letters.push(l) });
  let late!: (v: unknown) => void;
  const seen: unknown[] = [];
  router.register("x", {
    onMessage: (d) => {
      seen.push(d);
      return d === "hang" ? new Promise(() => {}) : undefined;
    },
    onRequest: (d) => d === "hang" ? new Promise((r) => (late = r)) : d,
  }, { hookTimeout: 20 });
  const logged = await quietly(async () => {
    router.send("x", "hang");
    router.send("x", "after");
    await rejectsWith(router.request("x", "hang"), "handler_timed_out");
    assert.equal(await router.request("x", "ok"), "ok");
  });
  assert.deepEqual(seen, ["hang", "after"]);
  assert.deepEqual(letters.map((l) => [l.data, l.error.code]), [["hang", "handler_timed_out"]]);
  assert.equal(logged.length, 2);
  late("too late"); // dropped: nothing else happens
  assert.equal(await router.request("x", "still"), "still");
  assert.throws(() => router.register("y", {}, { hookTimeout: 0 }), RangeError);
  router.unregister("x");
});
