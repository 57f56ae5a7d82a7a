import assert from "node:assert/strict";
import { TargetPool } from "../../src/gateway/target_pool.ts";

Deno.test("TargetPool spreads round-robin evenly and weighted picks by weight", () => {
  const rr = new TargetPool([{ target: "a", weight: 5 }, { target: "b", weight: 1 }, {
    target: "c",
    weight: 1,
  }], "round-robin");
  assert.equal(Array.from({ length: 6 }, () => rr.pick(() => true)).join(""), "abcabc");
  const w = new TargetPool([{ target: "a", weight: 3 }, { target: "b", weight: 1 }], "weighted");
  const counts: Record<string, number> = { a: 0, b: 0 };
  const seq: string[] = [];
  for (let i = 0; i < 400; i++) seq.push(w.pick(() => true)!);
  for (const s of seq) counts[s]!++;
  assert.deepEqual(counts, { a: 300, b: 100 });
  assert.ok(!seq.join("").includes("bb"), "picks of the light target are spread out");
});

Deno.test("TargetPool skips unavailable targets and prefers untried ones", () => {
  const pool = new TargetPool(
    ["a", "b", "c"].map((t) => ({ target: t, weight: 1 })),
    "round-robin",
  );
  assert.equal(pool.pick((t) => t !== "a"), "b");
  assert.equal(pool.pick(() => true, new Set(["c"])), "a");
  assert.equal(pool.pick(() => true, new Set(["a", "b", "c"])), "b");
  assert.equal(pool.pick(() => false), undefined);
});
