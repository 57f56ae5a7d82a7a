/**
 * Shared set-up of the kv driver tests: temporary files, a store whose
 * commits can be held back or made to fail, and raw reads of the file.
 *
 * @module
 */
import type { KvStore } from "../drivers/kv.ts";
import { decodeCbor } from "../src/common/encoding.ts";

/** A fresh KV file path in a temporary directory (removed when the test process ends). */
export function tempKvPath(): string {
  dir ??= Deno.makeTempDirSync({ prefix: "sy_kv_test_" });
  return `${dir}/${crypto.randomUUID()}.db`;
}
let dir: string | undefined;
globalThis.addEventListener("unload", () => {
  if (dir) Deno.removeSync(dir, { recursive: true });
});

/** A store wrapper: counts commits, holds them back, or makes them throw. */
export class StoreControl {
  /** Commits that reached the store. */
  commits = 0;
  /** Mutations in those commits. */
  mutations = 0;
  #failures = 0;
  #held: Promise<void> | undefined;
  #open = () => {};
  #arrived: Array<() => void> = [];

  /** Passed as `wrapStore`. */
  wrap = (store: KvStore): KvStore => ({
    ...store,
    commit: async (checks, mutations) => {
      for (const a of this.#arrived.splice(0)) a();
      if (this.#held) await this.#held;
      if (this.#failures > 0) {
        this.#failures--;
        throw new Error("disk I/O error");
      }
      const ok = await store.commit(checks, mutations);
      this.commits++;
      this.mutations += mutations.length;
      return ok;
    },
  });

  /** The next `n` commits throw. */
  failNext(n: number): void {
    this.#failures = n;
  }

  /** Commits wait from now on until {@linkcode release}. */
  hold(): void {
    this.#held ??= new Promise((r) => (this.#open = r));
  }

  /** Lets held commits through. */
  release(): void {
    this.#open();
    this.#held = undefined;
  }

  /** Resolves when the next commit is attempted. */
  nextCommit(): Promise<void> {
    return new Promise((r) => this.#arrived.push(r));
  }
}

/**
 * Reads an actor's stored state straight from the file (single-chunk states).
 *
 * @param path The KV file.
 * @param actorId The actor.
 * @returns The state, or `undefined` when none is stored.
 */
export async function storedState(path: string, actorId: string): Promise<unknown> {
  const kv = await Deno.openKv(path);
  try {
    const e = await kv.get<Uint8Array>(["sy", "state", actorId, 0]);
    if (!e.value) return undefined;
    return (decodeCbor(e.value.subarray(14)) as { state: unknown }).state;
  } finally {
    kv.close();
  }
}

/**
 * Opens the file with Deno KV directly, runs `fn`, closes it.
 *
 * @param path The KV file.
 * @param fn What to do with it.
 * @returns What `fn` returned.
 */
export async function withRawKv<T>(path: string, fn: (kv: Deno.Kv) => Promise<T>): Promise<T> {
  const kv = await Deno.openKv(path);
  try {
    return await fn(kv);
  } finally {
    kv.close();
  }
}
