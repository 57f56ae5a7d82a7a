/**
 * {@linkcode RouteCache}: compiled route tables per function id, with a TTL,
 * negative entries and one store read for many concurrent misses.
 *
 * @module
 */

/** Counters of a {@linkcode RouteCache}. */
export interface RouteCacheStats {
  /** Entries held, including negative ones and expired ones not yet cleaned up. */
  size: number;
  /** The time to live in milliseconds. */
  ttl: number;
  /** Lookups answered from the cache. */
  hits: number;
  /** Lookups that had to wait for a load (shared loads count once each). */
  misses: number;
  /** Loads started (store reads). */
  loads: number;
}

/** Options of {@linkcode RouteCache}. */
export interface RouteCacheOptions {
  /** Time to live of an entry in milliseconds. @default {300000} */
  ttl?: number;
  /** A monotonic clock in milliseconds. @default {() => performance.now()} */
  now?: () => number;
}

interface Entry<T> {
  value: T | null;
  expires: number;
}

/**
 * Caches a loader's results per id. `null` results (functions without
 * routes) are cached too, as negative entries. Concurrent misses for one id
 * share one load; a load that fails is not cached and rejects every waiter.
 * A load still running when its id is invalidated is not stored.
 *
 * @typeParam T The cached value (e.g. a compiled route table).
 *
 * @example One load for two lookups
 * ```ts
 * import { RouteCache } from "@switchyard/core/gateway";
 * let reads = 0;
 * const cache = new RouteCache<string>(async (id) => (reads++, id === "a" ? "table" : null));
 * await Promise.all([cache.get("a"), cache.get("a"), cache.get("b")]);
 * console.assert(reads === 2 && cache.stats().size === 2);
 * ```
 */
export class RouteCache<T> {
  #load: (id: string) => Promise<T | null>;
  #ttl: number;
  #now: () => number;
  #entries = new Map<string, Entry<T>>();
  #loading = new Map<string, Promise<T | null>>();
  #hits = 0;
  #misses = 0;
  #loads = 0;

  /**
   * Creates an empty cache.
   *
   * @param load Reads and prepares the value of an id; `null` when it has none.
   * @param options TTL and clock.
   * @throws {RangeError} When `ttl` is negative.
   */
  constructor(load: (id: string) => Promise<T | null>, options: RouteCacheOptions = {}) {
    this.#load = load;
    this.#ttl = options.ttl ?? 300_000;
    if (!(this.#ttl >= 0)) throw new RangeError(`TTL must be ≥ 0, got ${this.#ttl}`);
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Returns a live cached value without loading.
   *
   * @param id The function id.
   * @returns The value, `null` for a negative entry, `undefined` when absent or expired.
   */
  peek(id: string): T | null | undefined {
    const e = this.#entries.get(id);
    if (e === undefined || e.expires <= this.#now()) return undefined;
    this.#hits++;
    return e.value;
  }

  /**
   * Returns the value of an id, loading it on a miss.
   *
   * @param id The function id.
   * @returns The value, or `null` when the id has none.
   * @throws Whatever the loader throws (nothing is cached then).
   */
  get(id: string): Promise<T | null> {
    const hit = this.peek(id);
    if (hit !== undefined) return Promise.resolve(hit);
    this.#misses++;
    const pending = this.#loading.get(id);
    if (pending !== undefined) return pending;
    this.#loads++;
    const p = this.#load(id).then(
      (value) => {
        if (this.#loading.get(id) === p) {
          this.#loading.delete(id);
          this.#entries.set(id, { value, expires: this.#now() + this.#ttl });
        }
        return value;
      },
      (err) => {
        if (this.#loading.get(id) === p) this.#loading.delete(id);
        throw err;
      },
    );
    this.#loading.set(id, p);
    return p;
  }

  /**
   * Drops the entry of an id (and forgets a load in progress).
   *
   * @param id The function id.
   * @returns Whether something was dropped.
   */
  invalidate(id: string): boolean {
    const had = this.#loading.delete(id);
    return this.#entries.delete(id) || had;
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
    this.#loading.clear();
  }

  /**
   * Removes expired entries.
   *
   * @returns The number removed.
   */
  cleanup(): number {
    const now = this.#now();
    let removed = 0;
    for (const [id, e] of this.#entries) {
      if (e.expires <= now) {
        this.#entries.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * Reads the counters.
   *
   * @returns A snapshot of the counters.
   */
  stats(): RouteCacheStats {
    return {
      size: this.#entries.size,
      ttl: this.#ttl,
      hits: this.#hits,
      misses: this.#misses,
      loads: this.#loads,
    };
  }
}
