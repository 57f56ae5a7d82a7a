import assert from "node:assert/strict";
import { TokenBucket } from "../../src/gateway/token_bucket.ts";

Deno.test("TokenBucket allows a burst, then refills at the limit rate", () => {
  let t = 0;
  const b = new TokenBucket({ limit: 10, window: 1000, burst: 3, now: () => t });
  assert.deepEqual([b.take(), b.take(), b.take()], [0, 0, 0]);
  assert.equal(b.take(), 100);
  t = 100;
  assert.equal(b.take(), 0);
  assert.equal(b.full, false);
  t = 10_000;
  assert.equal(b.full, true);
  assert.throws(() => new TokenBucket({ limit: 0 }), RangeError);
});
