/**
 * How the kv driver splits an actor's state bytes into KV values and checks
 * them when it reads them back: chunk 0 starts with a header (magic, format
 * version, chunk count, total length, FNV-1a checksum of the whole), the
 * other chunks are raw bytes. A reader gets the whole state or a coded
 * `state_corrupt`, never a torn or altered one.
 *
 * @module
 */
import { stateCorrupt } from "../src/driver/mod.ts";
import { KV_LIMITS } from "./_kv_store.ts";

const MAGIC = 0x53; // "S"
const VERSION = 1;
/** Header bytes at the start of chunk 0. */
export const HEADER_BYTES = 14;
/** Most chunks one state may take: all of them go in one atomic commit. */
export const MAX_CHUNKS = 12;
/** The largest state the driver stores, bytes. */
export const MAX_STATE_BYTES = MAX_CHUNKS * KV_LIMITS.valueBytes - HEADER_BYTES;

/**
 * FNV-1a, 32 bits.
 *
 * @param bytes The data.
 * @returns The checksum.
 */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Splits state bytes into KV values (at most `MAX_CHUNKS`).
 *
 * @param bytes The state bytes (at most `MAX_STATE_BYTES`).
 * @returns The chunks, chunk 0 with the header.
 */
export function splitState(bytes: Uint8Array): Uint8Array[] {
  const size = KV_LIMITS.valueBytes;
  const firstRoom = size - HEADER_BYTES;
  const count = bytes.length <= firstRoom ? 1 : 1 + Math.ceil((bytes.length - firstRoom) / size);
  const first = new Uint8Array(HEADER_BYTES + Math.min(firstRoom, bytes.length));
  const view = new DataView(first.buffer);
  first[0] = MAGIC;
  first[1] = VERSION;
  view.setUint32(2, count);
  view.setUint32(6, bytes.length);
  view.setUint32(10, fnv1a(bytes));
  first.set(bytes.subarray(0, firstRoom), HEADER_BYTES);
  const chunks = [first];
  for (let at = firstRoom; at < bytes.length; at += size) {
    chunks.push(bytes.slice(at, at + size));
  }
  return chunks;
}

/** What the header of chunk 0 says. */
export interface StateHeader {
  /** Number of chunks. */
  count: number;
  /** Total state bytes. */
  length: number;
  /** FNV-1a of the whole. */
  checksum: number;
}

/**
 * Reads the header of chunk 0.
 *
 * @param actorId The actor (for the error).
 * @param value What is stored as chunk 0.
 * @returns The header.
 * @throws {SwitchyardError} `state_corrupt` when it is not a header of this format.
 */
export function readHeader(actorId: string, value: unknown): StateHeader {
  if (!(value instanceof Uint8Array)) {
    throw stateCorrupt(actorId, "chunk 0 is not a byte string");
  }
  if (value.length < HEADER_BYTES || value[0] !== MAGIC) {
    throw stateCorrupt(actorId, "chunk 0 has no state header");
  }
  if (value[1] !== VERSION) {
    throw stateCorrupt(actorId, `state format version ${value[1]} is not known`);
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const count = view.getUint32(2);
  const length = view.getUint32(6);
  if (count < 1 || count > MAX_CHUNKS || length > MAX_STATE_BYTES) {
    throw stateCorrupt(actorId, `header says ${count} chunks and ${length} bytes`);
  }
  return { count, length, checksum: view.getUint32(10) };
}

/**
 * Joins chunks read back and checks them against the header.
 *
 * @param actorId The actor (for the error).
 * @param header The header of chunk 0.
 * @param chunks The stored values of chunks 0..count-1 (`null`: missing).
 * @returns The state bytes.
 * @throws {SwitchyardError} `state_corrupt` when a chunk is missing, the
 *   length is wrong or the checksum does not match.
 */
export function joinState(actorId: string, header: StateHeader, chunks: unknown[]): Uint8Array {
  const out = new Uint8Array(header.length);
  let at = 0;
  for (let i = 0; i < header.count; i++) {
    const c = chunks[i];
    if (!(c instanceof Uint8Array)) {
      throw stateCorrupt(actorId, `chunk ${i} of ${header.count} is missing`);
    }
    const part = i === 0 ? c.subarray(HEADER_BYTES) : c;
    if (at + part.length > out.length) {
      throw stateCorrupt(actorId, `chunks hold more than the ${header.length} bytes of the header`);
    }
    out.set(part, at);
    at += part.length;
  }
  if (at !== header.length) {
    throw stateCorrupt(actorId, `chunks hold ${at} of ${header.length} bytes`);
  }
  if (fnv1a(out) !== header.checksum) throw stateCorrupt(actorId, "checksum does not match");
  return out;
}
