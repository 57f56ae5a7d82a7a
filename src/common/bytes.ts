/**
 * Byte helpers shared by the body readers and the proxy transports.
 *
 * @module
 */

/**
 * Joins byte chunks into one fresh array (a single chunk is copied too, so
 * the result never aliases a caller's buffer).
 *
 * @param chunks The chunks, in order.
 * @returns Their bytes, back to back.
 *
 * @example Join two chunks
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * const all = concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]);
 * console.assert(all.length === 3 && all[2] === 3);
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const c of chunks) length += c.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
