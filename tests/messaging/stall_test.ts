import assert from "node:assert/strict";
import { MessageRouter } from "../../src/messaging/mod.ts";

/** Ten pairs of actors exchange `rounds` requests each; returns requests per second. */
async function exchange(router: MessageRouter, rounds: number): Promise<number> {
  const pairs = 10;
  for (let i = 0; i < pairs; i++) {
    if (router.has(`pong${i}`)) continue;
    router.register(`pong${i}`, { onRequest: (d) => (d as number) + 1 });
    router.register(`ping${i}`, { onMessage: () => {} });
  }
  const start = performance.now();
  await Promise.all(Array.from({ length: pairs }, async (_, i) => {
    const me = router.participant(`ping${i}`);
    let n = 0;
    for (let r = 0; r < rounds; r += 64) {
      const batch = [];
      for (let k = 0; k < 64; k++) batch.push(me.request(`pong${i}`, n++));
      await Promise.all(batch);
      me.send(`pong${i}`, "one-way"); // no onMessage: becomes a dead letter
    }
  }));
  return (pairs * rounds) / ((performance.now() - start) / 1000);
}

Deno.test("one actor whose handler never returns stalls nobody else", async () => {
  const router = new MessageRouter({ mailboxCapacity: 128, onDeadLetter: () => {} });
  // Latency and throughput with a stalled actor are measured in bench/messaging_bench.ts;
  // here the user-visible fact is that everyone else's exchange completes.
  let calls = 0;
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  router.register("stuck", {
    onMessage: () => new Promise(() => {}),
    onRequest: () => {
      calls++;
      started();
      return new Promise(() => {});
    },
  });
  const ask = (i: number) =>
    router.request("stuck", i, { timeout: 60_000 }).catch((e) => e.code as string);
  const stuckReplies = [ask(0)];
  await running;
  for (let i = 1; i <= 128; i++) stuckReplies.push(ask(i));
  let full = 0;
  const refusals: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) {
    refusals.push(
      router.send("stuck", i).catch((err) => {
        if ((err as { code?: string }).code === "mailbox_full") full++;
      }),
    );
  }
  await Promise.all(refusals);
  const rate = await exchange(router, 10_000);
  assert.equal(calls, 1, "the stuck handler holds its own mailbox");
  assert.equal(full, 100, "its full mailbox refuses at once instead of waiting");
  assert.ok(rate > 0, "ten other pairs completed 100,000 requests while one actor was stuck");
  router.unregister("stuck");
  assert.deepEqual(new Set(await Promise.all(stuckReplies)), new Set(["actor_stopped"]));
});
