/**
 * {@linkcode ResponseCache}: a route's caching policy for `GET` and `HEAD`
 * answers — a TTL, `Cache-Control` (`no-store`, `private`, `no-cache`,
 * `max-age`, `s-maxage`) and `Vary` honoured as a shared cache (RFC 9111),
 * a bounded number of entries (least recently used go first),
 * stale-while-revalidate, and a `Cache-Status` field (RFC 9211) on answers.
 *
 * @module
 */
import { z } from "zod";
import { concatBytes } from "../common/bytes.ts";

/** A route's `cache` field in its object form. */
export interface CachePolicy {
  /** Milliseconds an answer stays fresh when it names no `max-age` / `s-maxage`. */
  ttl: number;
  /** Entries kept (variants by `Vary` count one each); the least recently used go first. @default {1000} */
  maxEntries?: number;
  /** Largest body stored, in bytes; larger answers stream through uncached. @default {1048576} */
  maxBodySize?: number;
  /** Milliseconds a stale answer is still served while one request revalidates it. @default {0} */
  staleWhileRevalidate?: number;
  /** Also cache answers to requests with `Authorization` (shared by every caller). @default {false} */
  authorized?: boolean;
}

/** The zod schema of a route's `cache` field: milliseconds of TTL, or a {@linkcode CachePolicy}. */
export const cacheSchema = z.union([
  z.number().finite().positive(),
  z.strictObject({
    ttl: z.number().finite().positive(),
    maxEntries: z.number().int().positive().max(1_000_000).optional(),
    maxBodySize: z.number().int().positive().optional(),
    staleWhileRevalidate: z.number().finite().nonnegative().optional(),
    authorized: z.boolean().optional(),
  }),
]);

/** The field every cached route adds to its answers. */
export const CACHE_STATUS = "cache-status";

/** Statuses cacheable by default (RFC 9110 §15.1). */
const CACHEABLE = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
const NULL_BODY = new Set([204, 205, 304]);
const MAX_VARIANTS = 8;

interface Entry {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  vary: string[];
  varyValues: (string | null)[];
  stored: number;
  fresh: number;
  stale: number;
}

/** The result of {@linkcode ResponseCache.prototype.lookup}. */
export interface CacheLookup {
  /** `fresh`, `stale` (serve and revalidate) or `miss`. */
  state: "fresh" | "stale" | "miss";
  /** The answer, for `fresh` and `stale`. */
  response?: Response;
  /** For `stale`: whether this caller should revalidate (one at a time per key). */
  revalidate?: boolean;
}

function directives(value: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (value === null) return out;
  for (const part of value.split(",")) {
    const [k, v] = part.split("=", 2);
    const name = k!.trim().toLowerCase();
    if (name !== "") out.set(name, (v ?? "").trim().replace(/^"|"$/g, ""));
  }
  return out;
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v) * 1000;
}

/**
 * One route's cache of upstream answers.
 *
 * @example Store and answer
 * ```ts
 * import { ResponseCache } from "@switchyard/core/gateway";
 * const cache = new ResponseCache({ ttl: 60_000 });
 * const req = new Request("http://gw.test/a");
 * await cache.store("/a", req, new Response("hi"));
 * console.assert(cache.lookup("/a", req).state === "fresh");
 * ```
 */
export class ResponseCache {
  readonly #policy: Required<CachePolicy>;
  readonly #now: () => number;
  #entries = new Map<string, Entry[]>();
  #count = 0;
  #revalidating = new Set<string>();

  /**
   * Creates an empty cache.
   *
   * @param policy TTL, bounds, stale-while-revalidate, `Authorization` handling.
   * @param now A clock in milliseconds.
   */
  constructor(policy: CachePolicy, now: () => number = () => performance.now()) {
    this.#policy = {
      maxEntries: 1000,
      maxBodySize: 1_048_576,
      staleWhileRevalidate: 0,
      authorized: false,
      ...policy,
    };
    this.#now = now;
  }

  /** Entries held (variants count one each). */
  get size(): number {
    return this.#count;
  }

  /**
   * Why a request must not use the cache, or `null` when it may.
   *
   * @param request The incoming request.
   * @returns `method`, `authorization`, `no-store`, or `null`.
   */
  bypass(request: Request): string | null {
    if (request.method !== "GET" && request.method !== "HEAD") return "method";
    if (!this.#policy.authorized && request.headers.has("authorization")) return "authorization";
    if (directives(request.headers.get("cache-control")).has("no-store")) return "no-store";
    return null;
  }

  /**
   * Looks a request up.
   *
   * @param key The request's path and query.
   * @param request The request (its method and the fields named by `Vary`).
   * @returns The state and, on a hit, the answer with `Age` and `Cache-Status`.
   */
  lookup(key: string, request: Request): CacheLookup {
    const variants = this.#entries.get(key);
    if (variants === undefined) return { state: "miss" };
    const now = this.#now();
    for (const e of variants) {
      if (!e.vary.every((n, i) => request.headers.get(n) === e.varyValues[i])) continue;
      const age = now - e.stored;
      if (age >= e.fresh + e.stale) continue;
      // Recently used: move to the end of the eviction order.
      this.#entries.delete(key);
      this.#entries.set(key, variants);
      const stale = age >= e.fresh;
      let revalidate = false;
      if (stale && !this.#revalidating.has(key)) {
        revalidate = true;
        this.#revalidating.add(key);
      }
      return {
        state: stale ? "stale" : "fresh",
        response: this.#answer(e, request.method, age, stale ? "hit; fwd=stale" : "hit"),
        revalidate,
      };
    }
    return { state: "miss" };
  }

  /** A revalidation of `key` ended (stored or not). */
  revalidated(key: string): void {
    this.#revalidating.delete(key);
  }

  #answer(e: Entry, method: string, age: number, status: string): Response {
    const headers = new Headers(e.headers);
    headers.set("age", String(Math.floor(age / 1000)));
    headers.set(CACHE_STATUS, `switchyard; ${status}`);
    const body = method === "HEAD" || NULL_BODY.has(e.status) ? null : e.body as BodyInit;
    return new Response(body, { status: e.status, statusText: e.statusText, headers });
  }

  /**
   * Stores an upstream answer when it may be stored, and returns the answer to send.
   * Bodies up to `maxBodySize` are read first; larger ones stream through.
   *
   * @param key The request's path and query.
   * @param request The request it answers.
   * @param res The upstream's answer.
   * @returns The answer for the client, with `Cache-Status`.
   */
  async store(key: string, request: Request, res: Response): Promise<Response> {
    const why = this.#unstorable(request, res);
    if (why !== null) return withCacheStatus(res, `fwd=miss; detail=${why}`);
    const cc = directives(res.headers.get("cache-control"));
    const fresh = seconds(cc.get("s-maxage")) ?? seconds(cc.get("max-age")) ?? this.#policy.ttl;
    const max = this.#policy.maxBodySize;
    const length = res.headers.get("content-length");
    if (length !== null && Number(length) > max) {
      return withCacheStatus(res, "fwd=miss; detail=size");
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    while (reader !== undefined) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > max) {
        // Too large to keep: send what was read, then the rest as it comes.
        const rest = new ReadableStream<Uint8Array>({
          start(c) {
            for (const ch of chunks) c.enqueue(ch);
          },
          async pull(c) {
            const r = await reader.read();
            if (r.done) c.close();
            else c.enqueue(r.value);
          },
          cancel: (reason) => reader.cancel(reason),
        });
        return withCacheStatus(new Response(rest, res), "fwd=miss; detail=size");
      }
    }
    const body = chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
    const vary = (res.headers.get("vary") ?? "").split(",").map((v) => v.trim().toLowerCase())
      .filter((v) => v !== "");
    const entry: Entry = {
      status: res.status,
      statusText: res.statusText,
      headers: [...res.headers].filter(([n]) => n !== "age" && n !== CACHE_STATUS),
      body,
      vary,
      varyValues: vary.map((n) => request.headers.get(n)),
      stored: this.#now(),
      fresh,
      stale: this.#policy.staleWhileRevalidate,
    };
    this.#put(key, entry);
    return withCacheStatus(
      new Response(NULL_BODY.has(res.status) ? null : body as BodyInit, res),
      "fwd=miss; stored",
    );
  }

  #unstorable(request: Request, res: Response): string | null {
    if (request.method !== "GET") return "method";
    if (!CACHEABLE.has(res.status)) return "status";
    const cc = directives(res.headers.get("cache-control"));
    if (cc.has("no-store")) return "no-store";
    if (cc.has("private")) return "private";
    if (cc.has("no-cache")) return "no-cache";
    if (res.headers.has("set-cookie")) return "set-cookie";
    if ((res.headers.get("vary") ?? "").includes("*")) return "vary";
    if (seconds(cc.get("s-maxage")) === 0 || (!cc.has("s-maxage") && cc.get("max-age") === "0")) {
      return "max-age";
    }
    return null;
  }

  #put(key: string, entry: Entry): void {
    let variants = this.#entries.get(key);
    if (variants === undefined) this.#entries.set(key, variants = []);
    const same = variants.findIndex((v) =>
      v.vary.join() === entry.vary.join() && v.varyValues.every((x, i) => x === entry.varyValues[i])
    );
    if (same !== -1) variants.splice(same, 1);
    else this.#count++;
    variants.push(entry);
    if (variants.length > MAX_VARIANTS) {
      variants.shift();
      this.#count--;
    }
    while (this.#count > this.#policy.maxEntries) {
      const [oldKey, oldest] = this.#entries.entries().next().value!;
      oldest.shift();
      this.#count--;
      if (oldest.length === 0) this.#entries.delete(oldKey);
    }
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
    this.#count = 0;
  }
}

/**
 * Sets `Cache-Status` on an answer (copying it when its fields are immutable).
 *
 * @param res The answer.
 * @param status The parameters after `switchyard; `, e.g. `fwd=bypass`.
 * @returns The answer with the field.
 *
 * @example Mark an answer that bypassed the cache
 * ```ts
 * import { withCacheStatus } from "@switchyard/core/gateway";
 * const res = withCacheStatus(new Response("ok"), "fwd=bypass");
 * console.assert(res.headers.get("cache-status") === "switchyard; fwd=bypass");
 * ```
 */
export function withCacheStatus(res: Response, status: string): Response {
  let out = res;
  try {
    res.headers.set(CACHE_STATUS, `switchyard; ${status}`);
  } catch {
    // Immutable fields (a fetch response): copy.
    const headers = new Headers(res.headers);
    headers.set(CACHE_STATUS, `switchyard; ${status}`);
    out = new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
  return out;
}
