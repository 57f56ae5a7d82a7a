/**
 * {@linkcode decodeCborValue}: the decoding half of the CBOR codec (see
 * `cbor.ts` for the forms it reads and its limits).
 *
 * @module
 */
import { concatBytes } from "./bytes.ts";
import { LITTLE_ENDIAN, MAX_DEPTH, TYPED_TAGS } from "./cbor_encode.ts";
import { setOwn } from "./objects.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
type TypedCtor = new (buffer: ArrayBuffer) => ArrayBufferView;
const TYPED_BY_TAG = new Map<number, TypedCtor>(
  [...TYPED_TAGS].map(([ctor, tag]) => [tag, ctor as TypedCtor]),
);

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
