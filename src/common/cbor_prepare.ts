/**
 * {@linkcode prepareCborValue}: the walk that runs before cbor-x encodes a
 * value. It enforces the nesting limit (a cycle fails there too), refuses
 * functions and symbols, and swaps in markers for the values whose CBOR form
 * switchyard fixes and cbor-x would write otherwise.
 *
 * @module
 */
import { MAX_DEPTH, TYPED_TAG_WIDTH } from "./cbor_check.ts";
import { setOwn } from "./objects.ts";

/** A safe integer past 32 bits: written as a 64-bit integer (cbor-x writes a float). */
export class CborInt64 {
  /** The integer. */
  readonly value: number;
  /** @param value The integer. */
  constructor(value: number) {
    this.value = value;
  }
}

/** A `bigint`: written as a tag 2 / tag 3 bignum whatever its size. */
export class CborBignum {
  /** The integer. */
  readonly value: bigint;
  /** @param value The integer. */
  constructor(value: bigint) {
    this.value = value;
  }
}

/** `-0`: written as a float64 (cbor-x writes the integer 0). */
export class CborNegativeZero {}

/** A `Date`: tag 1 with the epoch seconds in their shortest form. */
export class CborDate {
  /** The epoch seconds. */
  readonly seconds: number;
  /** @param seconds Epoch seconds. */
  constructor(seconds: number) {
    this.seconds = seconds;
  }
}

const NEGATIVE_ZERO = new CborNegativeZero();

/** Typed array classes written with their RFC 8746 tag (cbor-x tags them all alike). */
const TAGGED_VIEWS = new Set<unknown>([
  Uint8ClampedArray,
  Uint16Array,
  Uint32Array,
  BigUint64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  BigInt64Array,
  Float32Array,
  Float64Array,
]);
if (TAGGED_VIEWS.size !== TYPED_TAG_WIDTH.size) throw new Error("Typed array tags are out of step");

/**
 * A number as switchyard writes it: cbor-x already writes integers within
 * 32 bits and every other non-integer the same way.
 *
 * @param v The number.
 * @returns `v`, or a marker.
 */
export function prepareNumber(v: number): unknown {
  if (v >= -0x100000000 && v <= 0xffffffff) return v === 0 && 1 / v < 0 ? NEGATIVE_ZERO : v;
  return Number.isSafeInteger(v) ? new CborInt64(v) : v;
}

/**
 * Returns `value` as cbor-x should see it: the same reference when nothing
 * in it needs a marker, otherwise a copy of the parts that do. Objects that
 * are not plain (class instances, errors, iterables) become plain objects of
 * their own enumerable keys; an own `"__proto__"` key stays a key.
 *
 * @param value Any value.
 * @param depth How many arrays and maps hold it.
 * @returns What to hand to cbor-x.
 * @throws {TypeError} For functions and symbols.
 * @throws {RangeError} When arrays and maps nest more than 512 deep (or form a cycle).
 */
export function prepareCborValue(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "number":
      return prepareNumber(value);
    case "bigint":
      return new CborBignum(value);
    case "function":
    case "symbol":
      throw new TypeError(`Cannot encode a ${typeof value} as CBOR`);
    case "string":
      // A lone surrogate becomes U+FFFD, as `TextEncoder` writes it (cbor-x
      // would write it as invalid UTF-8 that no decoder accepts).
      return value.isWellFormed() ? value : value.toWellFormed();
    case "object":
      break;
    default:
      return value;
  }
  if (value === null) return value;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) {
    if (TAGGED_VIEWS.has(value.constructor) || value instanceof DataView) return value;
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof Date) return new CborDate(value.getTime() / 1000);
  if (depth >= MAX_DEPTH) throw new RangeError("Value nests too deep for CBOR (a cycle?)");
  const inner = depth + 1;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined = Object.getPrototypeOf(value) === Array.prototype
      ? undefined
      : Array.from(value);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const p = prepareCborValue(v, inner);
      if (p !== v) (out ??= value.slice())[i] = p;
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries: [unknown, unknown][] = [];
    for (const [k, v] of value) {
      const pk = prepareCborValue(k, inner);
      const pv = prepareCborValue(v, inner);
      if (pk !== k || pv !== v) changed = true;
      entries.push([pk, pv]);
    }
    // A subclass is copied too: cbor-x writes only `Map` itself as a map.
    return changed || value.constructor !== Map ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items: unknown[] = [];
    for (const v of value) {
      const p = prepareCborValue(v, inner);
      if (p !== v) changed = true;
      items.push(p);
    }
    // Items that became equal markers stay apart: cbor-x writes what it is given.
    return changed ? new Set(items) : value;
  }
  const proto = Object.getPrototypeOf(value);
  const plain = proto === Object.prototype || proto === null;
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(value);
  const source = value as Record<string, unknown>;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = source[k];
    const p = prepareCborValue(v, inner);
    if (p === v && plain && out === undefined && k.isWellFormed()) continue;
    if (out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j]!, source[keys[j]!]);
    }
    setOwn(out, k.toWellFormed(), p);
  }
  return out ?? (plain ? value : {});
}
