/**
 * The kv driver: actors that survive restarts, in one Deno KV file. On Deno
 * it opens the file with `Deno.openKv`, on Node with `@deno/kv`; both read
 * and write the same file (every value is a byte string: CBOR, never a
 * V8-serialised object). Actors are hosted in this process and load lazily,
 * on their first request after a start or a sleep.
 *
 * `kvDriver()` opens the file before it returns, so a path that cannot be
 * opened fails at start (`kv_open_failed`, naming the path).
 *
 * ## Durability
 *
 * - By default (`durable` unset or `true`) an action is answered only after
 *   the state it changed is committed to the file: an acknowledged change
 *   survives a crash (`kill -9`, power loss as far as the file system's
 *   sync holds). Writes of many actors and many calls are group-committed:
 *   what queues while one commit runs goes out in the next atomic commit.
 * - With `durable: false` an action answers at once and its change is
 *   written within the actor's `stateSaveInterval`: a crash loses the
 *   changes of at most that interval.
 * - A write that fails is retried; when it keeps failing the callers get
 *   `storage_failed` and nothing is acknowledged. The change is written
 *   with the actor's next write.
 * - Scheduled actions (`schedule.after/at`) and their alarm are stored
 *   before `schedule` resolves and fire after a restart: late, never lost.
 *   A due entry leaves the stored schedule in the same write as the changes
 *   its action made, so it never runs twice for one stored change.
 * - Creating an actor is atomic across callers and across processes that
 *   share the file: one actor per key.
 *
 * ## Key layout
 *
 * Every key starts with `"sy"`; every value is a `Uint8Array`. Actor ids
 * are 32 hex digits that start with the creation time (epoch ms), so
 * records list oldest first and new actors' entries sit together in the
 * file.
 *
 * | key | value |
 * |---|---|
 * | `["sy", "actor", actorId]` | the actor record (CBOR: id, type, key, input, createdAt) |
 * | `["sy", "key", type, serializedKey]` | the actor id (UTF-8): the name+key index |
 * | `["sy", "state", actorId, n]` | chunk `n` of the state; chunk 0 starts with a header |
 * | `["sy", "alarm", actorId]` | when the actor's alarm fires (CBOR epoch ms) |
 * | `["sy", "seq"]` | empty; bumped by every commit that creates actors |
 *
 * State larger than one value is split into chunks of 64 KiB written in one
 * atomic commit; chunk 0's header holds the chunk count, the length and a
 * checksum, so a reader gets the whole state or `state_corrupt`.
 *
 * ## Limits (Deno KV's, checked on Deno 2.9 and `@deno/kv` 0.14)
 *
 * A key is at most 2,048 bytes encoded (an actor key that makes the index
 * key longer answers `key_too_long`), a value 64 KiB, a commit 1,000
 * mutations, 800 KiB of keys and values and 80 KiB of keys (10 checks on
 * `@deno/kv`). So an actor's stored state is at most 12 chunks, 786,418
 * bytes (`state_too_large` beyond), and its creation input at most one
 * value.
 *
 * @example
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { kvDriver } from "@switchyard/core/drivers/kv";
 * const counter = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
 * const server = setup({ use: { counter } }).createServer({
 *   driver: await kvDriver({ path: ":memory:" }),
 * });
 * console.assert((await server.client.counter.getOrCreate("a").inc()) === 1);
 * await server.shutdown();
 * ```
 *
 * @module
 */
import type { DriverFactory } from "../src/driver/mod.ts";
import { openKvStore } from "./_kv_store.ts";
import type { KvStore } from "./_kv_store.ts";
import { KvDriver } from "./_kv_driver.ts";

export type { KvCheck, KvEntry, KvKey, KvKeyPart, KvMutation, KvStore } from "./_kv_store.ts";

/** A clock, for tests that move time. */
export interface KvClock {
  /** Now, ms since the epoch. */
  now(): number;
}

/** Options of {@linkcode kvDriver}. */
export interface KvDriverOptions {
  /** The KV file, or `":memory:"` (nothing survives the process). */
  path: string;
  /** Decides when alarms are due. @default {Date} */
  clock?: KvClock;
  /** Retries of a commit that throws before its callers get `storage_failed`. @default {3} */
  retries?: number;
  /** First retry delay, ms; it doubles per retry. @default {25} */
  retryDelay?: number;
  /**
   * Wraps the opened store, e.g. to count commits or inject failures.
   *
   * @param store The store over the file.
   * @returns The store the driver uses.
   */
  wrapStore?: (store: KvStore) => KvStore;
}

/**
 * Opens the KV file and returns the driver for one server.
 *
 * @param options The path and tunables.
 * @returns A driver factory for `createServer({ driver })`; its `create`
 *   may be called once (the server's shutdown closes the file).
 * @throws {SwitchyardError} `kv_open_failed` naming the path when it cannot be opened.
 * @throws {TypeError} For an empty path.
 *
 * @example State that survives a restart of the server
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { kvDriver } from "@switchyard/core/drivers/kv";
 * const counter = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
 * const registry = setup({ use: { counter } });
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/actors.kv`;
 *
 * const first = registry.createServer({ driver: await kvDriver({ path }) });
 * console.assert((await first.client.counter.getOrCreate("a").inc()) === 1);
 * await first.shutdown(); // closes the file
 *
 * const second = registry.createServer({ driver: await kvDriver({ path }) });
 * console.assert((await second.client.counter.getOrCreate("a").inc()) === 2);
 * await second.shutdown();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function kvDriver(options: KvDriverOptions): Promise<DriverFactory> {
  const opened = await openKvStore(options.path);
  const store = options.wrapStore ? options.wrapStore(opened) : opened;
  let created = false;
  return {
    name: "kv",
    create(context) {
      if (created) throw new Error(`KV driver of "${options.path}" serves one server only`);
      created = true;
      const driver = new KvDriver(context, store, {
        clock: options.clock ?? Date,
        retries: options.retries ?? 3,
        retryDelay: options.retryDelay ?? 25,
      });
      return { manager: driver, actor: driver, durableByDefault: true };
    },
  };
}
