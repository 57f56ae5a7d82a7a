/**
 * The small store interface the kv driver is written against, over
 * `Deno.openKv` on Deno and `@deno/kv` on Node (same file format), and the
 * Deno KV limits the driver plans its commits with.
 *
 * @module
 */
import { SwitchyardError } from "../src/common/errors.ts";

/**
 * Deno KV limits, as enforced by Deno 2.9 and `@deno/kv` 0.14 (the smaller
 * of the two where they differ; measured on both).
 */
export const KV_LIMITS = {
  /** Largest encoded key of a write, bytes. */
  keyBytes: 2048,
  /** Largest value, bytes (a `Uint8Array` counts its length). */
  valueBytes: 65_536,
  /** Mutations per atomic commit. */
  mutations: 1000,
  /** Keys plus values of one atomic commit, bytes (800 KiB). */
  commitBytes: 819_200,
  /** Encoded keys of one atomic commit, bytes (80 KiB). */
  commitKeyBytes: 81_920,
  /** Checks per atomic commit (Deno allows 100, `@deno/kv` 10). */
  checks: 10,
  /** Keys per `getMany`. */
  getMany: 10,
} as const;

/** A key part the driver uses. */
export type KvKeyPart = string | number;
/** A key. */
export type KvKey = readonly KvKeyPart[];

/** One stored entry; `value` is `null` when the key is absent. */
export interface KvEntry {
  /** The key. */
  key: KvKey;
  /** The value (`Uint8Array` for everything this driver writes). */
  value: unknown;
  /** Version of the entry, `null` when absent. */
  versionstamp: string | null;
}

/** A write of a commit. */
export type KvMutation =
  | { type: "set"; key: KvKey; value: Uint8Array }
  | { type: "delete"; key: KvKey };

/** A commit succeeds only if the entry at `key` still has `versionstamp`. */
export interface KvCheck {
  /** The key. */
  key: KvKey;
  /** The versionstamp read earlier (`null`: absent). */
  versionstamp: string | null;
}

/** What the driver needs of a KV database. */
export interface KvStore {
  /** Reads one entry (strongly consistent). */
  get(key: KvKey): Promise<KvEntry>;
  /** Reads up to `KV_LIMITS.getMany` entries in one snapshot. */
  getMany(keys: KvKey[]): Promise<KvEntry[]>;
  /** Lists entries under a prefix, in key order. */
  list(prefix: KvKey, options?: { limit?: number }): AsyncIterable<KvEntry>;
  /**
   * Commits the mutations atomically when every check holds.
   *
   * @returns `false` when a check failed (nothing was written).
   */
  commit(checks: KvCheck[], mutations: KvMutation[]): Promise<boolean>;
  /** Closes the database. */
  close(): void;
}

/** The part of `Deno.Kv` (and `@deno/kv`'s `Kv`) behind {@linkcode KvStore}. */
interface KvLike {
  get(key: KvKey): Promise<KvEntry>;
  getMany(keys: KvKey[]): Promise<KvEntry[]>;
  list(selector: { prefix: KvKey }, options?: { limit?: number }): AsyncIterable<KvEntry>;
  atomic(): AtomicLike;
  close(): void;
}

interface AtomicLike {
  check(...checks: KvCheck[]): AtomicLike;
  set(key: KvKey, value: unknown): AtomicLike;
  delete(key: KvKey): AtomicLike;
  commit(): Promise<{ ok: boolean }>;
}

/**
 * Opens a KV database: `Deno.openKv` on Deno, `@deno/kv` on Node.
 *
 * @param path A file path, or `":memory:"`.
 * @returns The store.
 * @throws {SwitchyardError} `kv_open_failed` naming the path when it cannot be opened.
 */
export async function openKvStore(path: string): Promise<KvStore> {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`KV path must be a file path or ":memory:", got ${JSON.stringify(path)}`);
  }
  const deno = (globalThis as { Deno?: { openKv?: (path: string) => Promise<KvLike> } }).Deno;
  let kv: KvLike;
  try {
    if (deno?.openKv) kv = await deno.openKv(path);
    else {
      const mod = await import("@deno/kv");
      kv = await mod.openKv(path) as unknown as KvLike;
    }
  } catch (err) {
    const detail = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new SwitchyardError("kv_open_failed", `Cannot open KV file "${path}": ${detail}`, {
      cause: err,
    });
  }
  return wrap(kv);
}

function wrap(kv: KvLike): KvStore {
  return {
    get: (key) => kv.get(key),
    getMany: (keys) => kv.getMany(keys),
    list: (prefix, options) => kv.list({ prefix }, options),
    async commit(checks, mutations) {
      const op = kv.atomic();
      if (checks.length > 0) op.check(...checks);
      for (const m of mutations) {
        if (m.type === "set") op.set(m.key, m.value);
        else op.delete(m.key);
      }
      return (await op.commit()).ok;
    },
    close: () => kv.close(),
  };
}

const utf8 = new TextEncoder();

/**
 * The encoded size of a key as Deno KV counts it against `KV_LIMITS.keyBytes`
 * (a tag byte per part; strings as UTF-8 with NUL escaped and a terminator;
 * numbers as 8 bytes).
 *
 * @param key The key.
 * @returns Its size, bytes.
 */
export function keySize(key: KvKey): number {
  let n = 0;
  for (const part of key) {
    if (typeof part === "number") n += 9;
    else n += stringPartSize(part);
  }
  return n;
}

/**
 * The encoded size of one string key part.
 *
 * @param s The part.
 * @returns Its size, bytes.
 */
export function stringPartSize(s: string): number {
  const bytes = utf8.encode(s);
  let zeros = 0;
  for (const b of bytes) if (b === 0) zeros++;
  return 2 + bytes.length + zeros;
}
