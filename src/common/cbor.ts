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
export { decodeCborValue } from "./cbor_decode.ts";
export { encodeCborValue } from "./cbor_encode.ts";
