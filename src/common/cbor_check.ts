/**
 * {@linkcode checkCbor}: one pass over untrusted CBOR bytes before cbor-x
 * decodes them. It refuses what is not well formed or not supported, bounds
 * what decoding may allocate and how deep it may recurse, and rewrites the
 * few standard forms cbor-x reads differently from switchyard's wire rules.
 *
 * @module
 */

/** How deep arrays and maps may nest, both ways. */
export const MAX_DEPTH = 512;

/**
 * The tag that marks a map rewritten as a list of keys and values, so that an
 * own `"__proto__"` key survives decoding. The input never holds it: every tag
 * switchyard does not read is removed before decoding.
 */
export const PAIRS_TAG = 1001;

/** What {@linkcode checkCbor} hands to the decoder. */
export interface CheckedCbor {
  /** The bytes to decode: the input, or a rewritten copy. */
  bytes: Uint8Array;
  /** Whether some map was rewritten as a {@linkcode PAIRS_TAG} list. */
  pairs: boolean;
}

/** RFC 8746 typed array tags (little-endian) that switchyard reads, with their element width. */
export const TYPED_TAG_WIDTH: ReadonlyMap<number, number> = new Map([
  [68, 1],
  [69, 2],
  [70, 4],
  [71, 8],
  [72, 1],
  [77, 2],
  [78, 4],
  [79, 8],
  [85, 4],
  [86, 8],
]);

// What the item after a known tag must be.
const ANY = 0, MAP = 1, ARRAY = 2, BYTES = 3, TEXT = 4, NUMBER = 5;
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

interface Frame {
  /** Major type: 2/3 (an indefinite string), 4 or 5. */
  major: number;
  /** Items left (a map counts keys and values); -1 when indefinite. */
  left: number;
  /** Items seen, for indefinite maps. */
  seen: number;
  /** Where the head starts and ends. */
  start: number;
  headEnd: number;
  /** A map read as an object (not under tag 259). */
  plain: boolean;
  /** Element width a typed array tag asks of an indefinite byte string. */
  width: number;
  /** Chunks of an indefinite string. */
  chunks?: Uint8Array[];
  /** A plain map with a `"__proto__"` key. */
  proto?: boolean;
}

interface Edit {
  start: number;
  end: number;
  bytes: Uint8Array;
}

function fail(message: string): never {
  throw new Error(message);
}

function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  return Uint8Array.of(m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** Checks strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF). */
function checkUtf8(b: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c < 0x80) continue;
    let need: number, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else fail("Invalid UTF-8 in a CBOR text string");
    if (i + need >= to) fail("Invalid UTF-8 in a CBOR text string");
    const second = b[i + 1]!;
    if (second < lo || second > hi) fail("Invalid UTF-8 in a CBOR text string");
    for (let k = 2; k <= need; k++) {
      if ((b[i + k]! & 0xc0) !== 0x80) fail("Invalid UTF-8 in a CBOR text string");
    }
    i += need;
  }
}

/**
 * Checks one CBOR data item that fills `input` exactly, and prepares it for
 * cbor-x:
 *
 * - refuses reserved heads, unsupported simple values, stray breaks, bytes
 *   after the item, invalid UTF-8, and lengths larger than what is left of the
 *   input (nothing is allocated for a length the input cannot fill);
 * - refuses arrays and maps nested more than {@linkcode MAX_DEPTH} deep;
 * - checks what the tags switchyard reads hold (0: text, 1: a number, 2 and 3:
 *   bytes, 258: an array, 259: a map, typed arrays: whole elements) and
 *   removes every other tag (its content stays);
 * - joins indefinite-length strings, writes a 64-bit integer past 2^53 as a
 *   bignum (it decodes to a `bigint`), and writes a map with a `"__proto__"`
 *   key as a {@linkcode PAIRS_TAG} list.
 *
 * @param input The untrusted bytes.
 * @returns The bytes to decode.
 * @throws {Error} When the input is not a well-formed, supported CBOR item.
 */
export function checkCbor(input: Uint8Array): CheckedCbor {
  const b = input;
  const len = b.length;
  const stack: Frame[] = [];
  let edits: Edit[] | undefined;
  let pairs = false;
  let pos = 0;
  let expect = ANY;
  let width = 0;
  let tagged = false; // a tag switchyard reads is waiting for its content
  let afterTag = false; // any tag is waiting for its content
  let done = false;

  const edit = (start: number, end: number, bytes: Uint8Array) =>
    (edits ??= []).push({ start, end, bytes });

  while (!done) {
    if (pos >= len) fail("CBOR input ends early");
    const start = pos;
    const ib = b[pos++]!;
    const major = ib >> 5;
    const ai = ib & 31;
    const top = stack[stack.length - 1];

    // Inside an indefinite string: definite chunks of its type, then a break.
    if (top !== undefined && (top.major === 2 || top.major === 3) && ib !== 0xff) {
      if (major !== top.major || ai === 31) fail("Bad chunk in an indefinite-length string");
    }

    // The argument: n for lengths and small values; hi/lo for 64-bit integers.
    let n = ai;
    let hi = 0;
    if (ai >= 24 && ai <= 27 && major !== 7) {
      const size = 1 << (ai - 24);
      if (pos + size > len) fail("CBOR input ends early");
      if (ai === 24) n = b[pos]!;
      else if (ai === 25) n = (b[pos]! << 8) | b[pos + 1]!;
      else if (ai === 26) {
        n = ((b[pos]! << 24) >>> 0) + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
      } else {
        hi = ((b[pos]! << 24) >>> 0) + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
        n = ((b[pos + 4]! << 24) >>> 0) + ((b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!);
      }
      pos += size;
    } else if (ai >= 28 && ai <= 30) fail(`Reserved CBOR additional information ${ai}`);
    else if (ai === 31 && major < 2) fail(`Reserved CBOR additional information ${ai}`);
    // A length must fit in what is left of the input (each item takes a byte at least).
    const tooLong = (count: number) => hi !== 0 || count > len - pos;

    if (tagged && major === 6) fail("CBOR tag holds another tag");
    if (afterTag && ib === 0xff) fail("Unexpected CBOR break");
    if (expect !== ANY) {
      const ok = expect === MAP
        ? major === 5
        : expect === ARRAY
        ? major === 4
        : expect === BYTES
        ? major === 2
        : expect === TEXT
        ? major === 3
        : major === 0 || major === 1 || (major === 7 && ai >= 25 && ai <= 27);
      if (!ok) fail("CBOR tag holds the wrong type");
    }
    const expected = expect;
    const w = width;
    expect = ANY;
    width = 0;
    tagged = false;
    afterTag = false;

    let complete = true; // whether this head ends an item
    switch (major) {
      case 0:
      case 1: {
        if (ai !== 27) break;
        // Past 2^53 (or below -(2^53 - 1)) the value is a bigint: written as a bignum.
        const safe = hi < 0x200000 && (hi * 0x100000000 + n) <= 2 ** 53 - (major === 1 ? 2 : 1);
        if (safe) break;
        if (expected === NUMBER) fail("CBOR tag 1 holds the wrong type");
        const bignum = new Uint8Array(10);
        bignum[0] = 0xc2 + major;
        bignum[1] = 0x48;
        bignum.set(b.subarray(start + 1, pos), 2);
        edit(start, pos, bignum);
        break;
      }
      case 2:
      case 3: {
        if (ai === 31) {
          stack.push({
            major,
            left: -1,
            seen: 0,
            start,
            headEnd: pos,
            plain: false,
            width: w,
            chunks: [],
          });
          complete = false;
          break;
        }
        if (tooLong(n)) fail("CBOR length is larger than the input");
        if (major === 3) {
          checkUtf8(b, pos, pos + n);
          const map = top?.major === 5 && top.plain ? top : undefined;
          if (
            map !== undefined && n === 9 &&
            (map.left === -1 ? map.seen % 2 === 0 : map.left % 2 === 0)
          ) {
            let same = true;
            for (let k = 0; k < 9; k++) if (b[pos + k] !== PROTO[k]) same = false;
            if (same) map.proto = pairs = true;
          }
        }
        if (expected === BYTES && w > 1 && n % w !== 0) {
          fail("CBOR typed array has a partial element");
        }
        if (top !== undefined && (top.major === 2 || top.major === 3)) {
          top.chunks!.push(b.subarray(pos, pos + n));
          pos += n;
          complete = false;
          break;
        }
        pos += n;
        break;
      }
      case 4:
      case 5: {
        const indefinite = ai === 31;
        const items = indefinite ? -1 : major === 5 ? n * 2 : n;
        if (!indefinite && tooLong(items)) fail("CBOR length is larger than the input");
        if (items === 0) break;
        if (stack.length >= MAX_DEPTH) fail("CBOR nests too deep");
        stack.push({
          major,
          left: items,
          seen: 0,
          start,
          headEnd: pos,
          plain: major === 5 && expected !== MAP,
          width: 0,
        });
        complete = false;
        break;
      }
      case 6: {
        const tag = hi === 0 ? n : -1;
        complete = false;
        tagged = afterTag = true;
        if (tag === 0) expect = TEXT;
        else if (tag === 1) expect = NUMBER;
        else if (tag === 2 || tag === 3) expect = BYTES;
        else if (tag === 258) expect = ARRAY;
        else if (tag === 259) expect = MAP;
        else if (TYPED_TAG_WIDTH.has(tag)) {
          expect = BYTES;
          width = TYPED_TAG_WIDTH.get(tag)!;
        } else {
          tagged = false; // removed: its content stands alone
          edit(start, pos, new Uint8Array(0));
        }
        break;
      }
      default: {
        if (ai === 31) {
          if (top === undefined || top.left !== -1) fail("Unexpected CBOR break");
          if (top.major === 5 && top.seen % 2 !== 0) fail("CBOR map ends after a key");
          stack.pop();
          if (top.major === 2 || top.major === 3) closeString(top);
          else if (top.proto) markPairs(top);
          break;
        }
        if (ai >= 20 && ai <= 23) break;
        if (ai >= 25 && ai <= 27) {
          const size = 1 << (ai - 24);
          if (pos + size > len) fail("CBOR input ends early");
          pos += size;
          break;
        }
        fail(`Unsupported CBOR simple value ${ai === 24 ? b[pos] ?? ai : ai}`);
      }
    }
    if (!complete) continue;
    // One item is complete: count it in its container, closing those it fills.
    for (;;) {
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        done = true;
        break;
      }
      if (parent.left === -1) {
        parent.seen++;
        break;
      }
      if (--parent.left > 0) break;
      stack.pop();
      if (parent.proto) markPairs(parent);
    }
  }
  if (pos !== len) fail("Bytes after the CBOR value");
  if (edits === undefined) return { bytes: input, pairs };
  return { bytes: applyEdits(input, edits), pairs };

  function closeString(frame: Frame): void {
    let total = 0;
    for (const c of frame.chunks!) total += c.length;
    if (frame.width > 1 && total % frame.width !== 0) {
      fail("CBOR typed array has a partial element");
    }
    const h = head(frame.major, total);
    const out = new Uint8Array(h.length + total);
    out.set(h);
    let at = h.length;
    for (const c of frame.chunks!) {
      out.set(c, at);
      at += c.length;
    }
    edit(frame.start, pos, out);
  }

  function markPairs(frame: Frame): void {
    // The map head becomes PAIRS_TAG and an array head of twice as many items.
    const tagHead = Uint8Array.of(0xd9, PAIRS_TAG >> 8, PAIRS_TAG & 0xff);
    const ai = b[frame.start]! & 31;
    let arrayHead: Uint8Array;
    if (ai === 31) arrayHead = Uint8Array.of(0x9f);
    else {
      let n = ai;
      const at = frame.start + 1;
      if (ai === 24) n = b[at]!;
      else if (ai === 25) n = (b[at]! << 8) | b[at + 1]!;
      else if (ai === 26) {
        n = ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
      }
      arrayHead = head(4, n * 2);
    }
    const out = new Uint8Array(tagHead.length + arrayHead.length);
    out.set(tagHead);
    out.set(arrayHead, tagHead.length);
    edit(frame.start, frame.headEnd, out);
  }
}

function applyEdits(input: Uint8Array, edits: Edit[]): Uint8Array {
  edits.sort((x, y) => x.start - y.start);
  let size = input.length;
  for (const e of edits) size += e.bytes.length - (e.end - e.start);
  const out = new Uint8Array(size);
  let from = 0;
  let at = 0;
  for (const e of edits) {
    out.set(input.subarray(from, e.start), at);
    at += e.start - from;
    out.set(e.bytes, at);
    at += e.bytes.length;
    from = e.end;
  }
  out.set(input.subarray(from), at);
  return out;
}
