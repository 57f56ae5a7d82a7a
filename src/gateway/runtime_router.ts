/**
 * {@linkcode RuntimeRouter}: the gateway inside a function. It reads the
 * function's route table through a cache, matches the request, and proxies
 * it with the route's balancing, retries, breaker, rate limit, auth and timeout.
 *
 * @module
 */
import { publicError, SwitchyardError } from "../common/errors.ts";
import { type Plan, PlanRunner } from "./_route_plan.ts";
import { CircuitBreaker } from "./circuit_breaker.ts";
import { GatewayMetrics, type GatewayTraffic } from "./gateway_metrics.ts";
import { RequestProxy } from "./request_proxy.ts";
import { checkId, checkRequest, describe } from "./_checks.ts";
import type { ActorFetcher, UpgradeWebSocket } from "./request_proxy.ts";
import { ResponseCache } from "./response_cache.ts";
import { type BodyTransform, RouteTransform } from "./route_transform.ts";
import { patternParams } from "./route_pattern.ts";
import type { FetchLike, ProxyTransport } from "./transport.ts";
import { RouteCache, type RouteCacheStats } from "./route_cache.ts";
import { RouteMatcher } from "./route_matcher.ts";
import type { RouteStore } from "./route_store.ts";
import { parseRouteTable, type RouteSpec, type RouteTable } from "./route_table.ts";
import { parseTarget, requestUrlParts } from "./target_url.ts";
import { TargetPool } from "./target_pool.ts";

/** What an auth hook is told about the matched route. */
export interface AuthContext {
  /** The function whose table matched. */
  functionId: string;
  /** The route's pattern. */
  pattern: string;
  /** The matched parameters. */
  params: Record<string, string>;
}

/**
 * A per-route auth hook, named in a route's `auth` field. Return a `Response`
 * to answer instead of proxying (e.g. 401), or nothing to let the request through.
 */
export type AuthHook = (
  request: Request,
  context: AuthContext,
) => Response | void | Promise<Response | void>;

/** What {@linkcode RuntimeRouter.prototype.getStats} reports. */
export interface RouterStats extends GatewayTraffic {
  /** The cache of compiled tables: entries, TTL in milliseconds, hits, misses, loads. */
  cache: RouteCacheStats;
}

/** Options of {@linkcode RuntimeRouter}. */
export interface RuntimeRouterOptions {
  /** Seconds a function's compiled table stays cached. @default {300} */
  cacheTTL?: number;
  /** Milliseconds to wait for upstream response headers, unless the route says otherwise. @default {30000} */
  proxyTimeout?: number;
  /** Trusted proxies in front of this one (see {@linkcode RequestProxyOptions}). @default {0} */
  trustedHops?: number;
  /** Also write RFC 7239 `Forwarded`. @default {false} */
  forwarded?: boolean;
  /**
   * The HTTP transport. @default {defaultTransport()}: `node:http` pools on
   * Node 22.3+, `fetch` elsewhere.
   */
  transport?: ProxyTransport;
  /** Shorthand for `transport: fetchTransport(fetch)`; ignored when `transport` is given. */
  fetch?: FetchLike;
  /** Accepts WebSocket upgrades on the host; without it upgrades get a coded 501. */
  upgradeWebSocket?: UpgradeWebSocket;
  /** Delivers `actor://` targets (wired to the registry's ManagerDriver by the host). */
  actors?: ActorFetcher;
  /** Auth hooks by name, for routes with an `auth` field. */
  authHooks?: Record<string, AuthHook>;
  /** Body hooks by name, for routes with `transform.request.body` or `transform.response.body`. */
  bodyTransforms?: Record<string, BodyTransform>;
  /** Largest body a body hook is given, in bytes (413 / 502 beyond). @default {1048576} */
  maxTransformBody?: number;
  /** Count requests, latencies and errors per route and target. @default {true} */
  metrics?: boolean;
  /** A monotonic clock in milliseconds, for the cache, breakers and rate limits. */
  now?: () => number;
}

/** Per-request options of {@linkcode RuntimeRouter.prototype.handleRequest}. */
export interface HandleRequestOptions {
  /** The path to match, when it is not `new URL(request.url).pathname` (e.g. a mount prefix was stripped). */
  path?: string;
  /** The peer address, for `X-Forwarded-For` and per-client rate limits. */
  clientAddress?: string;
}

const NONE: Promise<null> = Promise.resolve(null);

/**
 * Routes a function's requests through its route table.
 *
 * @example Route a function's API
 * ```ts
 * import { MemoryRouteStore, RuntimeRouter } from "@switchyard/core/gateway";
 * const users = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (req) => new Response(`users: ${new URL(req.url).pathname}`),
 * );
 * const store = new MemoryRouteStore({
 *   fn1: { "/api/users/*": `http://127.0.0.1:${users.addr.port}` },
 * });
 * const router = new RuntimeRouter(store, { cacheTTL: 300, proxyTimeout: 30_000 });
 * // Served: Deno.serve(async (req) => (await router.handleRequest("fn1", req)) ?? ownCode(req));
 * const hit = await router.handleRequest("fn1", new Request("http://app.test/api/users/42"));
 * console.assert((await hit?.text()) === "users: /42");
 * const miss = await router.handleRequest("fn1", new Request("http://app.test/about"));
 * console.assert(miss === null); // no route: the function's own code answers
 * router.close();
 * await users.shutdown();
 * ```
 */
export class RuntimeRouter {
  #cache: RouteCache<RouteMatcher<Plan>>;
  #proxy: RequestProxy;
  #authHooks: Record<string, AuthHook>;
  #now: () => number;
  #breakers = new Map<string, CircuitBreaker>();
  #responseCaches = new Map<string, ResponseCache>();
  #bodyHooks: Record<string, BodyTransform>;
  #maxBody: number;
  #metrics: GatewayMetrics | undefined;
  #runner: PlanRunner;

  /**
   * Creates a router over a route store.
   *
   * @param store Where route tables are read.
   * @param options Cache TTL (seconds), proxy timeout (milliseconds) and hooks.
   * @throws {TypeError} When `store` has no `getRoutes` or an option has the wrong type.
   * @throws {RangeError} For a negative TTL or timeout.
   */
  constructor(store: RouteStore, options: RuntimeRouterOptions = {}) {
    if (typeof (store as Partial<RouteStore>)?.getRoutes !== "function") {
      throw new TypeError(
        `RuntimeRouter needs a route store with getRoutes(id) (e.g. a MemoryRouteStore), got ${
          describe(store)
        }`,
      );
    }
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`RuntimeRouter options must be an object, got ${describe(options)}`);
    }
    for (const name of ["cacheTTL", "proxyTimeout", "maxTransformBody"] as const) {
      const v = options[name];
      if (v !== undefined && typeof v !== "number") {
        throw new TypeError(`Option "${name}" must be a number, got ${describe(v)}`);
      }
    }
    const ttl = options.cacheTTL ?? 300;
    if (!(ttl >= 0)) throw new RangeError(`Option "cacheTTL" must be ≥ 0 seconds, got ${ttl}`);
    this.#now = options.now ?? (() => performance.now());
    this.#authHooks = options.authHooks ?? {};
    this.#bodyHooks = options.bodyTransforms ?? {};
    this.#maxBody = options.maxTransformBody ?? 1_048_576;
    if (options.metrics !== false) {
      this.#metrics = new GatewayMetrics(() => this.#breakerStates());
    }
    this.#proxy = new RequestProxy({
      timeout: options.proxyTimeout ?? 30_000,
      trustedHops: options.trustedHops,
      forwarded: options.forwarded,
      transport: options.transport,
      fetch: options.fetch,
      upgradeWebSocket: options.upgradeWebSocket,
      actors: options.actors,
    });
    this.#runner = new PlanRunner(this.#proxy, this.#now, this.#maxBody);
    this.#cache = new RouteCache(async (id) => {
      let table: RouteTable | null;
      try {
        table = await store.getRoutes(id);
      } catch (err) {
        throw new SwitchyardError(
          "route_store_unavailable",
          `Routes of function "${id}" could not be read`,
          { status: 503, public: true, metadata: { functionId: id }, cause: err },
        );
      }
      return table === null ? null : this.#compile(table, id);
    }, { ttl: ttl * 1000, now: this.#now });
  }

  /**
   * Closes idle upstream connections (the default transport on Deno keeps a
   * pool). Requests still running finish; the router stays usable.
   */
  close(): void {
    this.#proxy.close();
  }

  /** Same as {@linkcode RuntimeRouter.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The cache of compiled tables (stats, `invalidate(id)`, `clear()`, `cleanup()`). */
  get cache(): RouteCache<unknown> {
    return this.#cache;
  }

  /**
   * Cache counters, shorthand for `cache.stats()`.
   *
   * @returns The counters.
   */
  stats(): RouteCacheStats {
    return this.#cache.stats();
  }

  /**
   * The design's statistics: the table cache (`cache.size`, `cache.ttl` in
   * milliseconds, hits, misses, loads) and the traffic per route and per
   * target (empty when `metrics: false`).
   *
   * @returns A snapshot.
   */
  getStats(): RouterStats {
    const traffic = this.#metrics?.snapshot() ?? { routes: {}, targets: {} };
    return { cache: this.#cache.stats(), ...traffic };
  }

  /**
   * The traffic counters in the Prometheus text format (0.0.4): requests by
   * status class, latency histograms, upstream errors by kind, rate-limit
   * refusals and cache results per function, route and target, and breaker
   * states per target. A server's `/metrics` includes them for a router made
   * by `createGateway(server, ...)`.
   *
   * @returns The exposition text (only `# HELP` lines when `metrics: false`).
   */
  metrics(): string {
    return (this.#metrics ?? new GatewayMetrics()).render();
  }

  /**
   * Drops a function's cached table, so the next request reads the store.
   *
   * @param functionId The function id.
   * @returns Whether something was dropped.
   * @throws {TypeError} When `functionId` is not a string.
   */
  invalidateCache(functionId: string): boolean {
    checkId("invalidateCache()", functionId);
    return this.#cache.invalidate(functionId);
  }

  /** Drops every cached table and every cached response. */
  clearCache(): void {
    this.#cache.clear();
    for (const c of this.#responseCaches.values()) c.clear();
  }

  /**
   * Removes expired tables from the cache.
   *
   * @returns How many entries were removed.
   */
  cleanup(): number {
    return this.#cache.cleanup();
  }

  /**
   * Checks that a table compiles with this router's settings (auth hook and
   * body transform names included), e.g. before storing it.
   *
   * @param table The route table.
   * @throws {SwitchyardError} `invalid_route_table`, `invalid_route_target`,
   * `invalid_route_pattern`, `duplicate_route`, `unknown_auth_hook`,
   * `invalid_route_transform` or `unknown_body_transform` (400).
   */
  validate(table: RouteTable): void {
    this.#compile(table, "");
  }

  #breakerStates(): [string, CircuitBreaker["state"]][] {
    return [...this.#breakers].map(([key, b]) => [key.slice(0, key.indexOf("\u0000")), b.state]);
  }

  #compile(table: RouteTable, functionId: string): RouteMatcher<Plan> {
    const specs = parseRouteTable(table);
    const metrics = functionId === "" ? undefined : this.#metrics;
    return new RouteMatcher(specs.map((spec) => {
      const auth = spec.auth === undefined ? undefined : this.#authHooks[spec.auth];
      if (spec.auth !== undefined && auth === undefined) {
        throw publicError(
          "unknown_auth_hook",
          400,
          `Route "${spec.id}" names auth hook "${spec.auth}", which is not configured`,
          { route: spec.id, auth: spec.auth },
        );
      }
      const targets = spec.targets.map((t) => ({
        target: {
          parsed: parseTarget(t.url),
          breaker: this.#breaker(t.url, spec),
          cell: metrics?.cell(functionId, spec.id, t.url),
        },
        weight: t.weight,
      }));
      const transform = spec.transform === undefined
        ? undefined
        : new RouteTransform(spec.id, spec.transform, {
          params: patternParams(spec.pattern),
          hooks: this.#bodyHooks,
        });
      const simple = targets.length === 1 && !spec.retries && !spec.rateLimit && !auth &&
          transform === undefined && spec.cache === undefined
        ? targets[0]!.target
        : undefined;
      return {
        pattern: spec.pattern,
        methods: spec.methods,
        headers: spec.headers,
        data: {
          functionId,
          spec,
          pool: new TargetPool(targets, spec.balance),
          targets: targets.map((t) => t.target.parsed),
          auth,
          simple,
          transform,
          cache: spec.cache === undefined ? undefined : this.#responseCache(functionId, spec),
          cell: metrics?.cell(functionId, spec.id, ""),
        },
      };
    }));
  }

  #responseCache(functionId: string, spec: RouteSpec): ResponseCache {
    // Kept per function, route and policy, so entries survive table reloads.
    const key = `${functionId}\u0000${spec.id}\u0000${JSON.stringify(spec.cache)}`;
    let c = this.#responseCaches.get(key);
    if (c === undefined) {
      c = new ResponseCache(spec.cache!, this.#now);
      if (functionId !== "") this.#responseCaches.set(key, c);
    }
    return c;
  }

  #breaker(url: string, spec: RouteSpec): CircuitBreaker | undefined {
    const cb = spec.circuitBreaker;
    if (cb === undefined) return undefined;
    // State lives per target (and settings), so it survives cache reloads.
    const key = `${url}\u0000${cb.failures}\u0000${cb.resetAfter}`;
    let b = this.#breakers.get(key);
    if (b === undefined) {
      b = new CircuitBreaker({ ...cb, now: this.#now });
      this.#breakers.set(key, b);
    }
    return b;
  }

  /**
   * Routes a request of a function, or declines it.
   *
   * @param functionId The function whose routes apply.
   * @param request The incoming request.
   * @param options The path to match and the client address.
   * @returns The response, or `null` when the function has no active routes or
   * none matches (the caller then runs the function's own code).
   * @throws {TypeError} (as a rejection) When `functionId` is not a string or
   * `request` is not a `Request`.
   * @throws {SwitchyardError} `route_store_unavailable` (503) when the store
   * fails; a compile error (400) when the stored table is invalid.
   *
   * @example A mount prefix stripped before matching
   * ```ts
   * import { MemoryRouteStore, RuntimeRouter } from "@switchyard/core/gateway";
   * const api = Deno.serve(
   *   { hostname: "127.0.0.1", port: 0, onListen() {} },
   *   (req) => new Response(new URL(req.url).pathname),
   * );
   * const origin = `http://127.0.0.1:${api.addr.port}`;
   * const store = new MemoryRouteStore({ shop: { "/orders/*": origin } });
   * const router = new RuntimeRouter(store);
   * const req = new Request("http://app.test/shop/orders/7");
   * const res = await router.handleRequest("shop", req, { path: "/orders/7" });
   * console.assert((await res?.text()) === "/7");
   * router.close();
   * await api.shutdown();
   * ```
   */
  handleRequest(
    functionId: string,
    request: Request,
    options: HandleRequestOptions = {},
  ): Promise<Response | null> {
    try {
      checkId("handleRequest()", functionId);
      checkRequest("handleRequest()", request);
      if (typeof options !== "object" || options === null) {
        throw new TypeError(`handleRequest() options must be an object, got ${describe(options)}`);
      }
      const matcher = this.#cache.peek(functionId);
      if (matcher === undefined) {
        return this.#cache.get(functionId).then((m) => this.#route(m, request, options));
      }
      return this.#route(matcher, request, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Routes with a table at hand; a plain route is proxied without an `await` of its own. */
  #route(
    matcher: RouteMatcher<Plan> | null,
    request: Request,
    options: HandleRequestOptions,
  ): Promise<Response | null> {
    if (matcher === null) return NONE;
    const url = requestUrlParts(request.url);
    const path = options.path ?? url.pathname;
    const m = matcher.match(path, request);
    if (m === null) return NONE;
    const plan = m.route.data;
    const simple = plan.simple;
    if (simple !== undefined && simple.breaker === undefined) {
      const forward = {
        target: simple.parsed,
        remainder: m.remainder,
        timeout: plan.spec.timeout,
        clientAddress: options.clientAddress,
        url,
      };
      const cell = simple.cell;
      if (cell === undefined) return this.#proxy.forward(request, forward);
      const t0 = this.#now();
      return this.#proxy.attempt(request, forward).then((o) => this.#runner.settle(o, cell, t0));
    }
    return this.#runner.run({
      request,
      plan,
      path,
      params: m.params,
      remainder: m.remainder,
      url,
      clientAddress: options.clientAddress,
    });
  }
}
