import assert from "node:assert/strict";
import { backoffDelay, DEFAULT_RECONNECT, resolveReconnect } from "../../src/client/backoff.ts";

Deno.test("backoffDelay grows by the multiplier and stops at maxDelay", () => {
  const opts = resolveReconnect({ initialDelay: 10, multiplier: 3, maxDelay: 200, jitter: 0 });
  assert.deepEqual([0, 1, 2, 3, 4, 1000].map((a) => backoffDelay(a, opts)), [
    10,
    30,
    90,
    200,
    200,
    200,
  ]);
});

Deno.test("backoffDelay keeps jitter within [(1 - jitter) * d, d]", () => {
  const opts = resolveReconnect({ jitter: 0.5 });
  for (let attempt = 0; attempt < 12; attempt++) {
    const d = Math.min(opts.maxDelay, opts.initialDelay * 2 ** attempt);
    assert.equal(backoffDelay(attempt, opts, () => 0), d * 0.5);
    assert.ok(backoffDelay(attempt, opts, () => 0.999999) <= d);
    const r = backoffDelay(attempt, opts);
    assert.ok(r >= d * 0.5 && r <= d, `attempt ${attempt}: ${r}`);
  }
});

Deno.test("backoffDelay stays finite for huge attempt counts", () => {
  assert.equal(backoffDelay(1e9, { ...DEFAULT_RECONNECT, jitter: 0 }), DEFAULT_RECONNECT.maxDelay);
});

Deno.test("resolveReconnect fills defaults, disables with false and rejects bad values", () => {
  assert.deepEqual(resolveReconnect(), DEFAULT_RECONNECT);
  assert.equal(resolveReconnect(false).maxAttempts, 0);
  assert.throws(() => resolveReconnect({ initialDelay: -1 }), RangeError);
  assert.throws(() => resolveReconnect({ multiplier: 0.5 }), RangeError);
  assert.throws(() => resolveReconnect({ jitter: 2 }), RangeError);
  assert.throws(() => resolveReconnect({ maxDelay: Infinity }), RangeError);
  assert.equal(resolveReconnect({ maxAttempts: Infinity }).maxAttempts, Infinity);
});
