/**
 * {@linkcode encodeCborValue}: the encoding half of the CBOR codec (see
 * `cbor.ts` for the forms it writes).
 *
 * @module
 */

/** How deep values may nest, both ways. */
export const MAX_DEPTH = 512;
const encoder = new TextEncoder();

/** RFC 8746 tags of typed arrays (little-endian forms), by constructor. */
export const TYPED_TAGS: Map<unknown, number> = new Map<unknown, number>([
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
/** Whether typed arrays are little-endian here (the RFC 8746 tags written are). */
export const LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
