/**
 * {@linkcode KvRouteStore}: route records in Deno KV (a file or `:memory:`),
 * typed structurally so this module needs no Deno types.
 *
 * @module
 */
import { decodeCbor, encodeCbor } from "../common/encoding.ts";
import type { RouteRecord, WritableRouteStore } from "./route_store.ts";
import { parseRouteTable, type RouteTable } from "./route_table.ts";

/** The subset of `Deno.Kv` this store uses. */
export interface KvLike {
  /** Reads one entry. */
  get(key: readonly unknown[]): Promise<{ value: unknown; versionstamp: string | null }>;
  /** Starts an atomic operation. */
  atomic(): KvAtomicLike;
}

/** The subset of `Deno.AtomicOperation` this store uses. */
export interface KvAtomicLike {
  /** Adds a check that the entry's versionstamp is still the given one. */
  check(...checks: { key: readonly unknown[]; versionstamp: string | null }[]): KvAtomicLike;
  /** Adds a write. */
  set(key: readonly unknown[], value: unknown): KvAtomicLike;
  /** Adds a delete. */
  delete(key: readonly unknown[]): KvAtomicLike;
  /** Commits; `ok` is false when a check failed. */
  commit(): Promise<{ ok: boolean }>;
}

/** Options of {@linkcode KvRouteStore}. */
export interface KvRouteStoreOptions {
  /** The key prefix. @default {["switchyard", "gateway", "routes"]} */
  prefix?: readonly string[];
}

/**
 * Route records in Deno KV. Values are CBOR bytes, so a file written by Deno
 * can be read by `@deno/kv` on Node. Reads are eventually consistent across
 * processes through the router's cache TTL.
 *
 * @example In memory
 * ```ts
 * import { KvRouteStore } from "@switchyard/core/gateway";
 * const kv = await Deno.openKv(":memory:");
 * const store = new KvRouteStore(kv);
 * await store.setRecord("fn1", { routes: { "/*": "https://example.com" }, active: true });
 * console.assert((await store.getRoutes("fn1"))?.["/*"] === "https://example.com");
 * kv.close();
 * ```
 */
export class KvRouteStore implements WritableRouteStore {
  #kv: KvLike;
  #prefix: readonly string[];

  /**
   * Creates a store over an open KV.
   *
   * @param kv An open `Deno.Kv` (or anything with the same `get`/`atomic`).
   * @param options The key prefix.
   */
  constructor(kv: KvLike, options: KvRouteStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["switchyard", "gateway", "routes"];
  }

  #key(functionId: string): unknown[] {
    return [...this.#prefix, functionId];
  }

  /** {@inheritDoc WritableRouteStore.getRecord} */
  async getRecord(functionId: string): Promise<RouteRecord | null> {
    const entry = await this.#kv.get(this.#key(functionId));
    if (!(entry.value instanceof Uint8Array)) return null;
    const r = decodeCbor(entry.value) as RouteRecord;
    return { routes: r.routes, active: r.active };
  }

  /** {@inheritDoc RouteStore.getRoutes} */
  async getRoutes(functionId: string): Promise<RouteTable | null> {
    const r = await this.getRecord(functionId);
    return r?.active ? r.routes : null;
  }

  /** {@inheritDoc WritableRouteStore.setRecord} */
  async setRecord(functionId: string, record: RouteRecord): Promise<void> {
    parseRouteTable(record.routes);
    const bytes = encodeCbor({ routes: record.routes, active: record.active });
    await this.#kv.atomic().set(this.#key(functionId), bytes).commit();
  }

  /** {@inheritDoc WritableRouteStore.deleteRecord} */
  async deleteRecord(functionId: string): Promise<boolean> {
    const key = this.#key(functionId);
    const entry = await this.#kv.get(key);
    if (entry.versionstamp === null) return false;
    const res = await this.#kv.atomic().check({ key, versionstamp: entry.versionstamp }).delete(key)
      .commit();
    return res.ok;
  }
}
