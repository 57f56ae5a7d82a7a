/**
 * CBOR (RFC 8949) through cbor-x, for the values switchyard stores and sends:
 * `undefined`, `null`, booleans, numbers, bigints, strings, `Uint8Array` and
 * the other typed arrays, `Date`, arrays, `Map`, `Set` and plain objects.
 * This is the only module that imports cbor-x, and only its pure JavaScript
 * entry points (`cbor-x/encode`, `cbor-x/decode`): no native addon loads in
 * Deno, Node or a browser.
 *
 * Wire forms (what the browser and Node clients and stored state use):
 *
 * | value | CBOR |
 * |---|---|
 * | safe integer | major type 0 / 1, shortest form |
 * | other number (and `-0`) | float64 |
 * | bigint | tag 2 / 3 (bignum) |
 * | `Date` | tag 1, epoch seconds (an integer in shortest form, else float64) |
 * | `Map` / `Set` | tag 259 map / tag 258 array |
 * | `Uint8Array`, `ArrayBuffer` | byte string |
 * | other typed array | RFC 8746 tag (little-endian), e.g. 77 for `Int16Array` |
 * | object | map with text keys, in preferred (shortest) form |
 *
 * cbor-x options: no records, no structured clone, no packing, no string
 * bundling (each would write tags other clients cannot read); no tag 64 on
 * `Uint8Array`; maps decode to plain objects unless tagged 259; `undefined`
 * is simple value 23 both ways; byte strings and typed arrays decode to
 * copies, never views of the input. Where cbor-x writes another form
 * (integers past 32 bits, `-0`, small bigints, dates) a marker class chooses
 * the form above (see `cbor_prepare.ts`).
 *
 * Decoding reads every form a standard encoder writes: half and single
 * floats, indefinite lengths, integers up to 64 bits (a bigint past 2^53),
 * tag 0 dates; an unknown tag yields its content. An object keeps an own
 * `__proto__` key as a key. Untrusted input is checked first (see
 * `cbor_check.ts`): it fails with an `Error`, never allocates more than the
 * input can fill, and nests at most 512 deep.
 *
 * @module
 */
import { Decoder } from "cbor-x/decode";
import { addExtension, Encoder } from "cbor-x/encode";
import { checkCbor, PAIRS_TAG } from "./cbor_check.ts";
import {
  CborBignum,
  CborDate,
  CborInt64,
  CborNegativeZero,
  prepareCborValue,
  prepareNumber,
} from "./cbor_prepare.ts";
import { setOwn } from "./objects.ts";

const options = {
  useRecords: false,
  structuredClone: false,
  pack: false,
  bundleStrings: false,
  mapsAsObjects: true,
  variableMapSize: true,
  tagUint8Array: false,
  copyBuffers: true,
  int64AsNumber: true, // past 2^53 the check rewrites the integer as a bignum
};
const encoder = new Encoder(options);
const decoder = new Decoder(options);

type Write = (value: unknown) => void;
interface MarkerExtension {
  Class: new (...args: never[]) => unknown;
  getTag?(value: unknown): number;
  encode(this: { alwaysUseFloat?: boolean }, value: unknown, write: Write): void;
}
// Extensions without a `tag` field: cbor-x would register a decoder under it.
const markers: MarkerExtension[] = [
  {
    Class: CborInt64,
    encode: (v, write) => write(BigInt((v as CborInt64).value)), // a 64-bit integer
  },
  {
    Class: CborBignum,
    getTag: (v) => (v as CborBignum).value < 0n ? 3 : 2,
    encode(v, write) {
      const value = (v as CborBignum).value;
      let n = value < 0n ? -1n - value : value;
      const bytes: number[] = [];
      for (; n > 0n; n >>= 8n) bytes.push(Number(n & 0xffn));
      write(Uint8Array.from(bytes.reverse()));
    },
  },
  {
    Class: CborNegativeZero,
    encode(_v, write) {
      this.alwaysUseFloat = true;
      try {
        write(-0);
      } finally {
        this.alwaysUseFloat = false;
      }
    },
  },
  {
    Class: CborDate,
    getTag: () => 1,
    encode: (v, write) => write(prepareNumber((v as CborDate).seconds)),
  },
];
for (const m of markers) addExtension(m as unknown as Parameters<typeof addExtension>[0]);

/** cbor-x's class for tags it does not read: only {@linkcode PAIRS_TAG} reaches it. */
const Tag = (decoder.decode(Uint8Array.of(0xd9, PAIRS_TAG >> 8, PAIRS_TAG & 0xff, 0x80)) as object)
  .constructor;

/**
 * Encodes a value as CBOR.
 *
 * @param value The value (see the module doc for what is supported).
 * @returns Fresh bytes.
 * @throws {TypeError} For functions and symbols.
 * @throws {RangeError} When arrays and maps nest more than 512 deep (or form a cycle).
 *
 * @example Round trip
 * ```ts
 * import { decodeCborValue, encodeCborValue } from "./cbor.ts";
 * const back = decodeCborValue(encodeCborValue({ n: 1, at: new Date(0), tags: new Set(["a"]) }));
 * console.assert((back as { tags: Set<string> }).tags.has("a"));
 * ```
 */
export function encodeCborValue(value: unknown): Uint8Array<ArrayBuffer> {
  // A copy: cbor-x answers a view of its shared buffer (a `Buffer` where one exists).
  return new Uint8Array(encoder.encode(prepareCborValue(value, 0)));
}

/**
 * Decodes one CBOR value that fills `bytes` exactly.
 *
 * @param bytes The input (untrusted).
 * @returns The value.
 * @throws {Error} When the input is not well-formed CBOR of a supported form,
 * or has bytes after the value.
 */
export function decodeCborValue(bytes: Uint8Array): unknown {
  const checked = checkCbor(bytes);
  // A fresh plain view: cbor-x caches a DataView on its input, and returns
  // byte strings of the input's class.
  const input = checked.bytes;
  const value = decoder.decode(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  return checked.pairs ? restorePairs(value) : value;
}

/** Turns the {@linkcode PAIRS_TAG} lists the check wrote back into objects. */
function restorePairs(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (v instanceof Tag) {
    const list = restorePairs((v as unknown as { value: unknown[] }).value) as unknown[];
    const out: Record<string, unknown> = {};
    for (let i = 0; i < list.length; i += 2) {
      const k = list[i];
      if (typeof k === "object" && k !== null) throw new Error("CBOR map key is not a primitive");
      setOwn(out, String(k), list[i + 1]);
    }
    return out;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = restorePairs(v[i]);
  } else if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [restorePairs(k), restorePairs(x)] as const);
    v.clear();
    for (const [k, x] of entries) v.set(k, x);
  } else if (v instanceof Set) {
    const items = [...v].map(restorePairs);
    v.clear();
    for (const x of items) v.add(x);
  } else if (!ArrayBuffer.isView(v) && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) setOwn(o, k, restorePairs(o[k]));
  }
  return v;
}
