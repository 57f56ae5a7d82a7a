import assert from "node:assert/strict";
import { encode as cborxEncode } from "cbor-x/encode";
import { decodeCborValue, encodeCborValue } from "../src/common/cbor.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));

Deno.test("CBOR encodes the RFC 8949 Appendix A examples in their preferred form", () => {
  const cases: [unknown, string][] = [
    [0, "00"],
    [23, "17"],
    [24, "1818"],
    [1000, "1903e8"],
    [1000000, "1a000f4240"],
    [1000000000000, "1b000000e8d4a51000"],
    [-1, "20"],
    [-1000, "3903e7"],
    [18446744073709551616n, "c249010000000000000000"],
    [-18446744073709551617n, "c349010000000000000000"],
    [1.1, "fb3ff199999999999a"],
    [-4.1, "fbc010666666666666"],
    [false, "f4"],
    [null, "f6"],
    [undefined, "f7"],
    [new Uint8Array([1, 2, 3, 4]), "4401020304"],
    ["", "60"],
    ["IETF", "6449455446"],
    ['"\\', "62225c"],
    ["\u00fc", "62c3bc"],
    ["\u6c34", "63e6b0b4"],
    ["\ud800\udd51", "64f0908591"],
    [[1, [2, 3], [4, 5]], "8301820203820405"],
    [{ a: 1, b: [2, 3] }, "a26161016162820203"],
    [new Date(1363896240000), "c11a514b67b0"],
    ["x".repeat(30), "781e" + "78".repeat(30)],
  ];
  for (const [value, expected] of cases) {
    assert.equal(hex(encodeCborValue(value)), expected, String(value));
    assert.deepEqual(decodeCborValue(unhex(expected)), value);
  }
});

Deno.test("CBOR decodes the other standard forms", () => {
  const cases: [string, unknown][] = [
    ["1bffffffffffffffff", 18446744073709551615n],
    ["3bffffffffffffffff", -18446744073709551616n],
    ["f90000", 0],
    ["f93c00", 1],
    ["f97bff", 65504],
    ["f90001", 5.960464477539063e-8],
    ["f97c00", Infinity],
    ["fa47c35000", 100000],
    ["c074323031332d30332d32315432303a30343a30305a", new Date("2013-03-21T20:04:00Z")],
    ["5f42010243030405ff", new Uint8Array([1, 2, 3, 4, 5])],
    ["7f657374726561646d696e67ff", "streaming"],
    ["9f018202039f0405ffff", [1, [2, 3], [4, 5]]],
    ["bf61610161629f0203ffff", { a: 1, b: [2, 3] }],
    ["d82076687474703a2f2f7777772e6578616d706c652e636f6d", "http://www.example.com"],
    ["a201020304", { "1": 2, "3": 4 }],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(decodeCborValue(unhex(input)), expected, input);
  }
  assert.ok(Number.isNaN(decodeCborValue(unhex("f97e00"))));
});

Deno.test("CBOR keeps Map, Set, bigint, typed arrays, -0 and __proto__ through a round trip", () => {
  const value = {
    map: new Map<unknown, unknown>([[1, "one"], ["k", [true]], [2n, null]]),
    set: new Set(["a", 1]),
    small: 12n,
    negative: -5n,
    int16: new Int16Array([1, -2, 300]),
    float64: new Float64Array([0.5, -1e300]),
    u64: new BigUint64Array([2n ** 64n - 1n]),
    zero: -0,
    when: new Date(1_700_000_000_123),
    nested: { deep: [{ x: "ü" }] },
  };
  assert.deepEqual(decodeCborValue(encodeCborValue(value)), value);
  const proto = decodeCborValue(encodeCborValue(JSON.parse('{"__proto__":{"polluted":1}}')));
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto as object), ["__proto__"]);
  assert.equal(({} as { polluted?: number }).polluted, undefined);
});

Deno.test("CBOR decodes many short keys and long strings exactly", () => {
  const value: Record<string, string> = {};
  for (let i = 0; i < 10_000; i++) {
    value[`k${i.toString(36)}`] = i % 7 === 0 ? "é€😀".repeat(i % 30) : `v${i}`;
  }
  value.long = "x".repeat(100) + "ü".repeat(100);
  assert.deepEqual(decodeCborValue(encodeCborValue(value)), value);
});

Deno.test("CBOR reads what cbor-x wrote for the same values", () => {
  const value = {
    n: [0, -1, 1.5, 2 ** 40, "text", "ünï", null, undefined, true],
    bytes: new Uint8Array([9, 8]),
    map: new Map([[1, 2]]),
    set: new Set(["x"]),
    at: new Date(5),
    int32: new Int32Array([7]),
    big: 2n ** 70n,
  };
  const written = cborxEncode(value);
  assert.deepEqual(decodeCborValue(new Uint8Array(written)), value);
});

Deno.test("CBOR refuses hostile input with an error, without big allocations", () => {
  const bad = [
    "", // nothing
    "1c", // reserved additional information
    "5a7fffffff00", // a 2 GB byte string in 6 bytes
    "9bffffffffffffffff", // an array of 2^64 items
    "bb7fffffffffffffff", // a map as large
    "62c3", // text that ends early
    "62c328", // invalid UTF-8
    "62c080", // an overlong form
    "63eda080", // a surrogate
    "64f4908080", // past U+10FFFF
    "62e282", // a sequence cut short
    "ff", // a break alone
    "9f01", // an array that never ends
    "0101", // bytes after the value
    "f818", // a one-byte simple value
    "d9010301", // tag 259 without a map
    "c24101ff", // a bignum followed by a stray break
    "c161", // a date that ends early
    "a1a0a0", // a map key that is a map
    "d84d4101", // an Int16Array of one byte
    "81".repeat(600) + "00", // nested 600 deep
  ];
  for (const input of bad) assert.throws(() => decodeCborValue(unhex(input)), Error, input);
  const cycle: unknown[] = [];
  cycle.push(cycle);
  assert.throws(() => encodeCborValue(cycle), RangeError);
  assert.throws(() => encodeCborValue({ f() {} }), TypeError);
  // Still works afterwards.
  assert.deepEqual(decodeCborValue(encodeCborValue({ ok: true })), { ok: true });
});

Deno.test("CBOR keeps the wire forms clients and stored state use (dates, integers past 32 bits, bigints, -0, typed arrays)", () => {
  class Point {
    x = 1;
    y = 2;
  }
  const cases: [unknown, string][] = [
    [new Date(0), "c100"],
    [new Date(-1000), "c120"],
    [new Date(1500), "c1fb3ff8000000000000"],
    [new Date(1_700_000_000_123), "c1fb41d954fc4007df3b"],
    [new Date(2 ** 32 * 1000), "c11b0000000100000000"],
    [2 ** 40, "1b0000010000000000"],
    [-(2 ** 40), "3b000000ffffffffff"],
    [2 ** 53 - 1, "1b001fffffffffffff"],
    [2 ** 53, "fb4340000000000000"],
    [-0, "fb8000000000000000"],
    [0.5, "fb3fe0000000000000"],
    [0n, "c240"],
    [12n, "c2410c"],
    [-5n, "c34104"],
    [2n ** 63n, "c2488000000000000000"],
    [new Int16Array([1, -2]), "d84d440100feff"],
    [new Float32Array([1.5]), "d855440000c03f"],
    [new ArrayBuffer(2), "420000"],
    [new Map([[1, 2]]), "d90103a10102"],
    [new Set(["a"]), "d90102816161"],
    [new Point(), "a2617801617902"],
    [new Error("x"), "a0"],
    [
      Object.fromEntries(Array.from({ length: 24 }, (_, i) => [String.fromCharCode(97 + i), i])),
      "b818616100616201616302616403616504616605616706616807616908616a09616b0a616c0b616d0c616e0d" +
      "616f0e61700f617110617211617312617413617514617615617716617817",
    ],
    ["\ud800", "63efbfbd"], // a lone surrogate is written as U+FFFD, as TextEncoder does
  ];
  for (const [value, expected] of cases) {
    assert.equal(hex(encodeCborValue(value)), expected, String(value));
  }
  for (const v of [2 ** 40, -(2 ** 40), -0, 0n, 12n, -5n, new Date(-1000)]) {
    assert.deepEqual(decodeCborValue(encodeCborValue(v)), v);
  }
});

Deno.test("CBOR reads tags other libraries act on as their plain content", () => {
  const cases: [string, unknown][] = [
    ["d81b82654572726f726178", ["Error", "x"]], // generic object: no Error is built
    ["d81c8101", [1]], // shareable value
    ["d81d00", 0], // shared reference
    ["d9d9f701", 1], // self-described CBOR
    ["d8408101", [1]], // tag 64 (a byte array tag) around an array
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(decodeCborValue(unhex(input)), expected, input);
  }
  // cbor-x's record tags define structures: here they are content like any other.
  assert.deepEqual(decodeCborValue(unhex("d9dfff83016161820203")), [1, "a", [2, 3]]);
  assert.deepEqual(decodeCborValue(unhex("d9dffe820000")), [0, 0]);
});

Deno.test("CBOR keeps an own __proto__ key in nested, indefinite and repeated maps", () => {
  const nested = decodeCborValue(
    unhex("a1616181a2695f5f70726f746f5f5fa16178016179bf695f5f70726f746f5f5f02ff"),
  ) as { a: [Record<string, unknown>] };
  const inner = nested.a[0]!;
  assert.deepEqual(Object.keys(inner), ["__proto__", "y"]);
  assert.equal(Object.getPrototypeOf(inner), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(inner, "__proto__")?.value, { x: 1 });
  assert.deepEqual(Object.keys(inner.y as object), ["__proto__"]);
  // Next to a "__proto_" key, both stay.
  const both = decodeCborValue(unhex("a2695f5f70726f746f5f5f01685f5f70726f746f5f02")) as object;
  assert.deepEqual(Object.entries(both), [["__proto__", 1], ["__proto_", 2]]);
  // Under tag 259 it is a Map key like any other.
  const map = decodeCborValue(unhex("d90103a1695f5f70726f746f5f5f01")) as Map<string, number>;
  assert.equal(map.get("__proto__"), 1);
  assert.equal(({} as { x?: number }).x, undefined);
});

Deno.test("CBOR refuses nested and tagged hostile lengths without allocating for them", () => {
  const bad = [
    "81".repeat(100) + "9a7fffffff", // a huge array deep inside
    "829a0100000000", // an array of 16M items after one item
    "d9010381bb7fffffffffffffff", // a huge map under tag 259
    "d9010281ba7fffffff", // a huge map inside a set
    "c25a7fffffff", // a huge bignum
    "d84d5a7fffffff00", // a huge typed array
    "5f5a7fffffffff", // a huge chunk of an indefinite string
    "9f" + "9f".repeat(600), // indefinite arrays nested 600 deep
    "c6".repeat(100_000), // tags and nothing in them
    "d901039f01ff", // tag 259 holding an array
    "c1c101", // a tag inside a date tag
    "9fc6ff", // a tag with a break for content
    "e0", // a simple value cbor-x reads as a packed value
    "bf01ff", // an indefinite map that ends after a key
  ];
  for (const input of bad) {
    assert.throws(() => decodeCborValue(unhex(input)), Error, input.slice(0, 40));
  }
  assert.deepEqual(decodeCborValue(unhex("81".repeat(511) + "00")), nest(511));
  function nest(n: number): unknown {
    return n === 0 ? 0 : [nest(n - 1)];
  }
});
