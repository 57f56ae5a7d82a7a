/**
 * The CBOR codec under Node 24: values round trip, a `Buffer` (a `Uint8Array`
 * subclass) is read and written as bytes, what cbor-x writes is read, and no
 * native addon is loaded.
 * Run: ./node_modules/.bin/node --test tests/node/cbor.test.ts
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { isNativeAccelerationEnabled } from "cbor-x/decode";
import { encode as cborxEncode } from "cbor-x/encode";
import { decodeCborValue, encodeCborValue } from "../../src/common/cbor.ts";

test("CBOR values round trip under Node", () => {
  const value = {
    text: "héllo 水 😀",
    n: [0, -1, 1.5, 2 ** 40, -(2 ** 53) + 1],
    big: -(2n ** 70n),
    at: new Date(1_700_000_000_123),
    map: new Map<unknown, unknown>([[1, "a"]]),
    set: new Set(["x"]),
    bytes: new Uint8Array([1, 2, 3]),
    f32: new Float32Array([0.5]),
  };
  assert.deepEqual(decodeCborValue(encodeCborValue(value)), value);
});

test("a Buffer is written as bytes and can be read from", () => {
  const bytes = encodeCborValue({ b: Buffer.from("hi") });
  const back = decodeCborValue(Buffer.from(bytes)) as { b: Uint8Array };
  assert.deepEqual([...back.b], [104, 105]);
});

test("CBOR reads what cbor-x writes under Node", () => {
  const value = { a: [1, "two", null, true], m: new Map([["k", 1]]), d: new Date(5) };
  assert.deepEqual(decodeCborValue(new Uint8Array(cborxEncode(value))), value);
});

test("CBOR under Node loads no native addon and answers plain Uint8Arrays", () => {
  const bytes = encodeCborValue({ b: new Uint8Array([1]) });
  assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
  const back = decodeCborValue(bytes) as { b: Uint8Array };
  assert.equal(Object.getPrototypeOf(back.b), Uint8Array.prototype);
  assert.equal(isNativeAccelerationEnabled, false);
});
