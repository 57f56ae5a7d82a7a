/**
 * `cborList`: a CBOR array made of items that are CBOR-encoded already, so
 * a batch of frames is joined without decoding and encoding them again.
 *
 * @module
 */

/** CBOR major type 4 (array) header for `n` items. */
function cborArrayHeader(n: number): Uint8Array {
  if (n < 24) return Uint8Array.of(0x80 + n);
  if (n < 0x100) return Uint8Array.of(0x98, n);
  if (n < 0x10000) return Uint8Array.of(0x99, n >> 8, n & 0xff);
  return Uint8Array.of(0x9a, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/**
 * Joins encoded items into one encoded CBOR array.
 *
 * @param items The encoded items, in order.
 * @param size Their total length in bytes.
 * @returns The encoded array.
 */
export function cborList(items: Uint8Array[], size: number): Uint8Array {
  const header = cborArrayHeader(items.length);
  const out = new Uint8Array(header.length + size);
  out.set(header, 0);
  let at = header.length;
  for (const item of items) {
    out.set(item, at);
    at += item.length;
  }
  return out;
}
