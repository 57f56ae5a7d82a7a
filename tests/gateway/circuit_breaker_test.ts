import assert from "node:assert/strict";
import { CircuitBreaker } from "../../src/gateway/circuit_breaker.ts";

Deno.test("CircuitBreaker opens after consecutive failures and one probe closes it", () => {
  let t = 0;
  const b = new CircuitBreaker({ failures: 3, resetAfter: 1000, now: () => t });
  b.record(false);
  b.record(false);
  b.record(true); // a success resets the count
  b.record(false);
  b.record(false);
  assert.equal(b.state, "closed");
  b.record(false);
  assert.equal(b.state, "open");
  assert.equal(b.allow(), false);
  t = 999;
  assert.equal(b.allow(), false);
  t = 1000;
  assert.equal(b.allow(), true); // the probe
  assert.equal(b.state, "half-open");
  assert.equal(b.allow(), false); // only one probe at a time
  b.record(false);
  assert.equal(b.state, "open");
  t = 2000;
  assert.equal(b.allow(), true);
  b.record(true);
  assert.equal(b.state, "closed");
  assert.throws(() => new CircuitBreaker({ failures: 0 }), RangeError);
});
