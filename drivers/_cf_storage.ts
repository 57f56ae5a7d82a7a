/**
 * An actor's state bytes in Durable Object storage, split in chunks below
 * the storage's value size limit. A write puts every chunk and the header
 * that names them in one burst without awaits, which the runtime commits
 * atomically; a read checks the header against the chunks it finds.
 *
 * @module
 */
import { stateCorrupt } from "../src/driver/mod.ts";
import type { DurableObjectStorageLike } from "./_cf_types.ts";

/** Bytes per chunk: under the 128 KiB value limit of Durable Object storage. */
export const CHUNK_SIZE = 120 * 1024;

const HEADER = "sy:state";
const chunkKey = (i: number) => `sy:state:${i}`;

/** The stored header: how many chunks and how many bytes in all. */
interface StateHeader {
  chunks: number;
  size: number;
}

/** The state bytes of the one actor of a Durable Object. */
export class ChunkedState {
  #storage: DurableObjectStorageLike;
  #actorId: string;
  /** Chunks written last (or read), so a shorter write deletes the rest. */
  #chunks = 0;

  /**
   * @param storage The object's storage.
   * @param actorId The actor id, for errors.
   */
  constructor(storage: DurableObjectStorageLike, actorId: string) {
    this.#storage = storage;
    this.#actorId = actorId;
  }

  /**
   * Reads the bytes.
   *
   * @returns The bytes, or `undefined` when none were written.
   * @throws {SwitchyardError} `state_corrupt` when a chunk is missing or the sizes disagree.
   */
  async read(): Promise<Uint8Array | undefined> {
    const head = (await this.#storage.get([HEADER])).get(HEADER) as StateHeader | undefined;
    if (head === undefined) return undefined;
    const keys = Array.from({ length: head.chunks }, (_, i) => chunkKey(i));
    const found = keys.length ? await this.#storage.get(keys) : new Map();
    const out = new Uint8Array(head.size);
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      const part = found.get(keys[i]!);
      if (!(part instanceof Uint8Array) && !(part instanceof ArrayBuffer)) {
        throw stateCorrupt(this.#actorId, `chunk ${i + 1} of ${head.chunks} is missing`);
      }
      const bytes = part instanceof Uint8Array ? part : new Uint8Array(part);
      if (at + bytes.byteLength > head.size) {
        throw stateCorrupt(this.#actorId, `chunks hold more than ${head.size} bytes`);
      }
      out.set(bytes, at);
      at += bytes.byteLength;
    }
    if (at !== head.size) {
      throw stateCorrupt(this.#actorId, `chunks hold ${at} of ${head.size} bytes`);
    }
    this.#chunks = head.chunks;
    return out;
  }

  /**
   * Writes the bytes atomically (all chunks and the header, or none).
   *
   * @param bytes The state bytes.
   * @returns Resolves once the storage confirmed the write.
   */
  write(bytes: Uint8Array): Promise<unknown> {
    const chunks = Math.ceil(bytes.byteLength / CHUNK_SIZE);
    const writes: Promise<unknown>[] = [];
    // Up to 128 keys per put; no await between the calls: they commit as one.
    let batch: Record<string, unknown> = { [HEADER]: { chunks, size: bytes.byteLength } };
    let inBatch = 1;
    for (let i = 0; i < chunks; i++) {
      batch[chunkKey(i)] = bytes.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
      if (++inBatch === 128) {
        writes.push(this.#storage.put(batch));
        batch = {};
        inBatch = 0;
      }
    }
    if (inBatch > 0) writes.push(this.#storage.put(batch));
    if (this.#chunks > chunks) {
      const stale = [];
      for (let i = chunks; i < this.#chunks; i++) stale.push(chunkKey(i));
      writes.push(this.#storage.delete(stale));
    }
    this.#chunks = chunks;
    return Promise.all(writes);
  }
}
