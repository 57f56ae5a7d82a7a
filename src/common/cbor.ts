/**
 * A small CBOR codec (RFC 8949) for the values switchyard stores and sends:
 * `undefined`, `null`, booleans, numbers, bigints, strings, `Uint8Array` and
 * the other typed arrays, `Date`, arrays, `Map`, `Set` and plain objects.
 *
 * Why not a library: cbor-x, used before, took ~10 ms of a ~95 ms server
 * start to import (its module pulls in a `Buffer` polyfill), and its Node
 * entry loads a native addon that crashes Deno. This file is the subset the
 * project needs, with the same wire forms cbor-x wrote:
 *
 * | value | CBOR |
 * |---|---|
 * | safe integer | major type 0 / 1, shortest form |
 * | other number (and `-0`) | float64 |
 * | bigint | tag 2 / 3 (bignum) |
 * | `Date` | tag 1, epoch seconds |
 * | `Map` / `Set` | tag 259 map / tag 258 array |
 * | `Uint8Array`, `ArrayBuffer` | byte string |
 * | other typed array | RFC 8746 tag (little-endian), e.g. 77 for `Int16Array` |
 * | object | map with text keys |
 *
 * Decoding also reads every form a standard encoder writes: half and single
 * floats, indefinite lengths, integers up to 64 bits (a bigint past 2^53),
 * tag 0 dates; an unknown tag yields its content. A map without tag 259 is
 * decoded as a plain object (keys as strings; `__proto__` stays a key).
 * Hostile input fails with an `Error`, never allocates more than the input
 * can fill, and nests at most 512 deep.
 *
 * @module
 */

import { concatBytes } from "./bytes.ts";
import { setOwn } from "./objects.ts";

const MAX_DEPTH = 512;
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** RFC 8746 tags of typed arrays (little-endian forms), by constructor. */
const TYPED_TAGS = new Map<unknown, number>([
  [Uint8ClampedArray, 68],
  [Uint16Array, 69],
  [Uint32Array, 70],
  [BigUint64Array, 71],
  [Int8Array, 72],
  [Int16Array, 77],
  [Int32Array, 78],
  [BigInt64Array, 79],
  [Float32Array, 85],
  [Float64Array, 86],
]);
type TypedCtor = new (buffer: ArrayBuffer) => ArrayBufferView;
const TYPED_BY_TAG = new Map<number, TypedCtor>(
  [...TYPED_TAGS].map(([ctor, tag]) => [tag, ctor as TypedCtor]),
);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

class Writer {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  pos = 0;
  busy = false;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A head: major type and argument, in the shortest form. */
  head(major: number, n: number): void {
    this.ensure(9);
    const m = major << 5;
    if (n < 24) this.buf[this.pos++] = m | n;
    else if (n < 0x100) {
      this.buf[this.pos++] = m | 24;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = m | 25;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else if (n < 0x100000000) {
      this.buf[this.pos++] = m | 26;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = m | 27;
      this.view.setBigUint64(this.pos, BigInt(n));
      this.pos += 8;
    }
  }

  bytes(b: Uint8Array): void {
    this.head(2, b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  text(s: string): void {
    const n = s.length;
    if (n < 24) {
      // Short ASCII, the common case (keys): written directly.
      this.ensure(n + 1);
      const at = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[at + 1 + i] = c;
      }
      if (i === n) {
        this.buf[at] = 0x60 | n;
        this.pos = at + 1 + n;
        return;
      }
    }
    // At most 3 bytes per UTF-16 unit; the head is sized for that, then shrunk.
    const max = n * 3;
    const headSize = max < 24 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
    // Room for the longest head too, so writing it never moves the buffer.
    this.ensure(headSize + max + 9);
    const start = this.pos;
    const { written } = encoder.encodeInto(s, this.buf.subarray(start + headSize));
    this.head(3, written);
    const used = this.pos - start;
    if (used !== headSize) {
      this.buf.copyWithin(this.pos, start + headSize, start + headSize + written);
    }
    this.pos += written;
  }

  float(x: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xfb;
    this.view.setFloat64(this.pos, x);
    this.pos += 8;
  }

  bigint(v: bigint): void {
    const negative = v < 0n;
    let n = negative ? -1n - v : v;
    const out: number[] = [];
    while (n > 0n) {
      out.push(Number(n & 0xffn));
      n >>= 8n;
    }
    this.head(6, negative ? 3 : 2);
    this.bytes(Uint8Array.from(out.reverse()));
  }

  value(v: unknown, depth: number): void {
    switch (typeof v) {
      case "number":
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
          return v >= 0 ? this.head(0, v) : this.head(1, -1 - v);
        }
        return this.float(v);
      case "string":
        return this.text(v);
      case "boolean":
        this.ensure(1);
        this.buf[this.pos++] = v ? 0xf5 : 0xf4;
        return;
      case "undefined":
        this.ensure(1);
        this.buf[this.pos++] = 0xf7;
        return;
      case "bigint":
        return this.bigint(v);
      case "function":
      case "symbol":
        throw new TypeError(`Cannot encode a ${typeof v} as CBOR`);
    }
    if (v === null) {
      this.ensure(1);
      this.buf[this.pos++] = 0xf6;
      return;
    }
    if (depth > MAX_DEPTH) throw new RangeError("Value nests too deep for CBOR (a cycle?)");
    if (Array.isArray(v)) {
      this.head(4, v.length);
      for (let i = 0; i < v.length; i++) this.value(v[i], depth + 1);
      return;
    }
    if (v instanceof Uint8Array) return this.bytes(v);
    if (v instanceof Date) {
      this.head(6, 1);
      const s = v.getTime() / 1000;
      return Number.isSafeInteger(s) ? this.value(s, depth) : this.float(s);
    }
    if (v instanceof Map) {
      this.head(6, 259);
      this.head(5, v.size);
      for (const [k, x] of v) {
        this.value(k, depth + 1);
        this.value(x, depth + 1);
      }
      return;
    }
    if (v instanceof Set) {
      this.head(6, 258);
      this.head(4, v.size);
      for (const x of v) this.value(x, depth + 1);
      return;
    }
    if (v instanceof ArrayBuffer) return this.bytes(new Uint8Array(v));
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      const tag = TYPED_TAGS.get(v.constructor);
      if (tag === undefined || !LITTLE_ENDIAN) return this.bytes(bytes);
      this.head(6, tag);
      return this.bytes(bytes);
    }
    const keys = Object.keys(v as object);
    this.head(5, keys.length);
    for (const k of keys) {
      this.text(k);
      this.value((v as Record<string, unknown>)[k], depth + 1);
    }
  }
}

const shared = new Writer();

/**
 * Encodes a value as CBOR.
 *
 * @param value The value (see the module doc for what is supported).
 * @returns Fresh bytes.
 * @throws {TypeError} For functions and symbols.
 * @throws {RangeError} When the value nests more than 512 deep (or has a cycle).
 *
 * @example Round trip
 * ```ts
 * import { decodeCborValue, encodeCborValue } from "./cbor.ts";
 * const back = decodeCborValue(encodeCborValue({ n: 1, at: new Date(0), tags: new Set(["a"]) }));
 * console.assert((back as { tags: Set<string> }).tags.has("a"));
 * ```
 */
export function encodeCborValue(value: unknown): Uint8Array<ArrayBuffer> {
  // A getter that encodes again while this runs gets a writer of its own.
  const w = shared.busy ? new Writer() : shared;
  w.busy = true;
  w.pos = 0;
  try {
    w.value(value, 0);
    return w.buf.slice(0, w.pos);
  } finally {
    w.busy = false;
    if (w.buf.length > 1 << 20) {
      w.buf = new Uint8Array(256); // do not keep a huge buffer around
      w.view = new DataView(w.buf.buffer);
    }
  }
}

const BREAK = Symbol("break");

class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error("CBOR input ends early");
  }

  /** The argument of a head with additional info `ai`; -1 for an indefinite length. */
  arg(ai: number, big = false): number | bigint {
    if (ai < 24) return ai;
    switch (ai) {
      case 24:
        this.need(1);
        return this.buf[this.pos++]!;
      case 25:
        this.need(2);
        this.pos += 2;
        return this.view.getUint16(this.pos - 2);
      case 26:
        this.need(4);
        this.pos += 4;
        return this.view.getUint32(this.pos - 4);
      case 27: {
        this.need(8);
        this.pos += 8;
        const n = this.view.getBigUint64(this.pos - 8);
        return big || n > BigInt(Number.MAX_SAFE_INTEGER) ? n : Number(n);
      }
      case 31:
        return -1;
      default:
        throw new Error(`Reserved CBOR additional information ${ai}`);
    }
  }

  /** A length: it must fit in what is left of the input (each item takes a byte at least). */
  length(ai: number, indefiniteOk: boolean): number {
    const n = this.arg(ai);
    if (n === -1 && indefiniteOk) return -1;
    if (typeof n !== "number" || n < 0 || n > this.buf.length - this.pos) {
      throw new Error("CBOR length is larger than the input");
    }
    return n;
  }

  chunks(major: number): Uint8Array {
    const parts: Uint8Array[] = [];
    for (;;) {
      this.need(1);
      const ib = this.buf[this.pos++]!;
      if (ib === 0xff) break;
      if (ib >> 5 !== major) throw new Error("Bad chunk in an indefinite-length string");
      const n = this.length(ib & 31, false);
      parts.push(this.buf.subarray(this.pos, this.pos + n));
      this.pos += n;
    }
    return concatBytes(parts);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Error("CBOR nests too deep");
    this.need(1);
    const ib = this.buf[this.pos++]!;
    const major = ib >> 5;
    const ai = ib & 31;
    switch (major) {
      case 0:
        return this.arg(ai === 31 ? 28 : ai);
      case 1: {
        const n = this.arg(ai === 31 ? 28 : ai, true);
        if (typeof n === "number" && n < Number.MAX_SAFE_INTEGER) return -1 - n;
        const v = -1n - BigInt(n);
        return v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      }
      case 2: {
        const n = this.length(ai, true);
        if (n === -1) return this.chunks(2);
        this.pos += n;
        return this.buf.slice(this.pos - n, this.pos);
      }
      case 3: {
        const n = this.length(ai, true);
        const bytes = n === -1 ? this.chunks(3) : this.buf.subarray(this.pos, this.pos += n);
        // Short strings (keys, names) are decoded here: a TextDecoder call costs ~1 µs each.
        return bytes.length <= 64 ? shortUtf8(bytes) : strictUtf8.decode(bytes);
      }
      case 4: {
        const n = this.length(ai, true);
        const out: unknown[] = [];
        if (n === -1) {
          for (let v = this.value(depth + 1); v !== BREAK; v = this.value(depth + 1)) out.push(v);
        } else for (let i = 0; i < n; i++) out.push(this.item(depth));
        return out;
      }
      case 5:
        return this.map(ai, depth, false);
      case 6:
        return this.tagged(this.arg(ai === 31 ? 28 : ai, true), depth);
      default:
        return this.simple(ai);
    }
  }

  /** An item that may not be a break. */
  item(depth: number): unknown {
    const v = this.value(depth + 1);
    if (v === BREAK) throw new Error("Unexpected CBOR break");
    return v;
  }

  map(ai: number, depth: number, asMap: boolean): unknown {
    const n = this.length(ai, true);
    const m = asMap ? new Map<unknown, unknown>() : undefined;
    const o: Record<string, unknown> = {};
    for (let i = 0; n === -1 || i < n; i++) {
      const k = n === -1 ? this.value(depth + 1) : this.item(depth);
      if (k === BREAK) break;
      const v = this.item(depth);
      if (m !== undefined) m.set(k, v);
      else {
        if (typeof k === "object" && k !== null) throw new Error("CBOR map key is not a primitive");
        setOwn(o, String(k), v);
      }
    }
    return m ?? o;
  }

  tagged(tag: number | bigint, depth: number): unknown {
    if (tag === 259) {
      this.need(1);
      const ib = this.buf[this.pos++]!;
      if (ib >> 5 !== 5) throw new Error("CBOR tag 259 needs a map");
      return this.map(ib & 31, depth, true);
    }
    const v = this.item(depth);
    switch (tag) {
      case 0:
      case 1: {
        // Rounded: seconds × 1000 is not always an exact number of milliseconds in floating point.
        const ms = typeof v === "string" ? Date.parse(v) : Math.round((v as number) * 1000);
        if (tag === 0 ? typeof v !== "string" : typeof v !== "number") {
          throw new Error(`CBOR tag ${tag} holds the wrong type`);
        }
        return new Date(ms);
      }
      case 2:
      case 3: {
        if (!(v instanceof Uint8Array)) throw new Error("CBOR bignum needs a byte string");
        let n = 0n;
        for (const b of v) n = (n << 8n) | BigInt(b);
        return tag === 2 ? n : -1n - n;
      }
      case 258:
        if (!Array.isArray(v)) throw new Error("CBOR tag 258 needs an array");
        return new Set(v);
    }
    const ctor = typeof tag === "number" ? TYPED_BY_TAG.get(tag) : undefined;
    if (ctor !== undefined && v instanceof Uint8Array && LITTLE_ENDIAN) {
      const width = (ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      if (v.length % width !== 0) throw new Error(`CBOR tag ${tag} has a partial element`);
      return new ctor(v.slice().buffer);
    }
    return v; // an unknown tag: its content
  }

  simple(ai: number): unknown {
    switch (ai) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25:
        this.need(2);
        this.pos += 2;
        return half(this.view.getUint16(this.pos - 2));
      case 26:
        this.need(4);
        this.pos += 4;
        return this.view.getFloat32(this.pos - 4);
      case 27:
        this.need(8);
        this.pos += 8;
        return this.view.getFloat64(this.pos - 8);
      case 31:
        return BREAK;
      default:
        throw new Error(`Unsupported CBOR simple value ${ai}`);
    }
  }
}

const units: number[] = [];
/** Recent short ASCII strings by hash: keys and names repeat, and a hit makes no new string. */
const asciiCache: (string | undefined)[] = new Array(4096);

function cachedAscii(b: Uint8Array, h: number): string {
  const slot = h & 4095;
  const hit = asciiCache[slot];
  if (hit !== undefined && hit.length === b.length) {
    let same = true;
    for (let k = 0; k < b.length; k++) {
      if (hit.charCodeAt(k) !== b[k]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const s = String.fromCharCode.apply(null, b as unknown as number[]);
  asciiCache[slot] = s;
  return s;
}

/**
 * Decodes a short UTF-8 string strictly (as a fatal `TextDecoder` does:
 * no overlong forms, no surrogates, nothing past U+10FFFF).
 */
function shortUtf8(b: Uint8Array): string {
  const n = b.length;
  let i = 0;
  let h = n;
  while (i < n) {
    const c = b[i]!;
    if (c >= 0x80) break;
    h = (h * 31 + c) | 0;
    i++;
  }
  if (i === n) {
    return n <= 24 ? cachedAscii(b, h) : String.fromCharCode.apply(null, b as unknown as number[]);
  }
  units.length = 0;
  for (let k = 0; k < i; k++) units.push(b[k]!);
  while (i < n) {
    const c = b[i++]!;
    if (c < 0x80) {
      units.push(c);
      continue;
    }
    let need: number, cp: number, min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, cp, min] = [1, c & 0x1f, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, cp, min] = [2, c & 0x0f, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, cp, min] = [3, c & 0x07, 0x10000];
    else throw new Error("Invalid UTF-8 in a CBOR text string");
    if (i + need > n) throw new Error("Invalid UTF-8 in a CBOR text string");
    for (let k = 0; k < need; k++) {
      const x = b[i++]!;
      if ((x & 0xc0) !== 0x80) throw new Error("Invalid UTF-8 in a CBOR text string");
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new Error("Invalid UTF-8 in a CBOR text string");
    }
    if (cp < 0x10000) units.push(cp);
    else units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
  }
  return String.fromCharCode.apply(null, units);
}

/** IEEE 754 half precision to a number. */
function half(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes one CBOR value that fills `bytes` exactly.
 *
 * @param bytes The input.
 * @returns The value.
 * @throws {Error} When the input is not well-formed CBOR of a supported form,
 * or has bytes after the value.
 */
export function decodeCborValue(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const v = r.item(-1);
  if (r.pos !== bytes.length) throw new Error("Bytes after the CBOR value");
  return v;
}
