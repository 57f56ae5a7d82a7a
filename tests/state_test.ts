import assert from "node:assert/strict";
import { cloneData } from "../src/actor/state.ts";

Deno.test("cloneData copies plain data deeply and keeps other values intact", () => {
  const date = new Date(5);
  const src = {
    a: 1,
    list: [1, { b: "x" }],
    nested: { c: null, d: undefined },
    date,
    m: new Map([[1, 2]]),
  };
  const copy = cloneData(src);
  assert.deepEqual(copy, src);
  assert.notEqual(copy.list, src.list);
  assert.notEqual(copy.list[1], src.list[1]);
  assert.notEqual(copy.date, date);
  assert.equal(copy.date.getTime(), 5);
  assert.ok(copy.m instanceof Map);
  assert.equal(copy.m.get(1), 2);
});

Deno.test("cloneData keeps an own __proto__ key as data", () => {
  const src = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}');
  const copy = cloneData(src) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal((copy as { polluted?: boolean }).polluted, undefined);
  assert.deepEqual(Object.keys(copy), ["__proto__", "x"]);
});
