import assert from "node:assert/strict";
import { Heartbeat } from "../../src/common/heartbeat.ts";

Deno.test("a peer that answers pings is never given up, and the timer stops with the last watch", async () => {
  const heartbeat = new Heartbeat(40);
  let died = false;
  let pings = 0;
  await new Promise<void>((resolve) => {
    const watch = heartbeat.watch({
      ping() {
        watch.heard(); // the pong
        if (++pings === 10) {
          watch.stop();
          resolve();
        }
      },
      dead: () => (died = true),
    });
  });
  assert.equal(died, false);
  assert.equal(heartbeat.size, 0);
});

Deno.test("a silent peer is pinged twice, then given up once", async () => {
  const heartbeat = new Heartbeat(40);
  const calls: string[] = [];
  await new Promise<void>((resolve) => {
    heartbeat.watch({
      ping: () => calls.push("ping"),
      dead() {
        calls.push("dead");
        resolve();
      },
    });
  });
  assert.deepEqual(calls, ["ping", "ping", "dead"]);
  assert.equal(heartbeat.size, 0);
});

Deno.test("new Heartbeat() rejects a timeout that is not a positive number", () => {
  assert.throws(() => new Heartbeat(0), RangeError);
  assert.throws(() => new Heartbeat(Infinity), RangeError);
});
