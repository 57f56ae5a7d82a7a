/**
 * {@linkcode RuntimeRouter}: the gateway inside a function. It reads the
 * function's route table through a cache, matches the request, and proxies
 * it with the route's balancing, retries, breaker, rate limit, auth and timeout.
 *
 * @module
 */
import { deadlines } from "../common/deadlines.ts";
import { publicError, SwitchyardError } from "../common/errors.ts";
import { CircuitBreaker } from "./circuit_breaker.ts";
import { failureResponse, proxyErrorResponse } from "./proxy_errors.ts";
import { type ActorFetcher, RequestProxy, type UpgradeWebSocket } from "./request_proxy.ts";
import type { FetchLike, ProxyTransport } from "./transport.ts";
import { RouteCache, type RouteCacheStats } from "./route_cache.ts";
import { RouteMatcher } from "./route_matcher.ts";
import type { RouteStore } from "./route_store.ts";
import { parseRouteTable, type RouteSpec, type RouteTable } from "./route_table.ts";
import {
  type ParsedTarget,
  parseTarget,
  type RequestUrlParts,
  requestUrlParts,
} from "./target_url.ts";
import { TargetPool } from "./target_pool.ts";
import { TokenBucket } from "./token_bucket.ts";

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

/** Options of {@linkcode RuntimeRouter}. */
export interface RuntimeRouterOptions {
  /** Milliseconds a function's compiled table stays cached. @default {300000} */
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

interface Target {
  parsed: ParsedTarget;
  breaker: CircuitBreaker | undefined;
}

interface Plan {
  spec: RouteSpec;
  pool: TargetPool<Target>;
  label: string;
  auth: AuthHook | undefined;
  simple: Target | undefined;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const NONE: Promise<null> = Promise.resolve(null);
const MAX_BUCKETS = 10_000;

/**
 * Routes a function's requests through its route table.
 *
 * @example Route a function's API
 * ```ts ignore
 * import { MemoryRouteStore, RuntimeRouter } from "./mod.ts";
 * const store = new MemoryRouteStore({
 *   fn1: { "/api/users/*": "https://users.example.com", "/*": "https://www.example.com" },
 * });
 * const router = new RuntimeRouter(store, { cacheTTL: 60_000, proxyTimeout: 10_000 });
 * Deno.serve(async (req) => (await router.handleRequest("fn1", req)) ?? new Response("own code"));
 * ```
 */
export class RuntimeRouter {
  #cache: RouteCache<RouteMatcher<Plan>>;
  #proxy: RequestProxy;
  #authHooks: Record<string, AuthHook>;
  #now: () => number;
  #breakers = new Map<string, CircuitBreaker>();
  #buckets = new Map<string, TokenBucket>();

  /**
   * Creates a router over a route store.
   *
   * @param store Where route tables are read.
   * @param options Cache TTL, timeouts and hooks.
   * @throws {RangeError} For a negative TTL or timeout.
   */
  constructor(store: RouteStore, options: RuntimeRouterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#authHooks = options.authHooks ?? {};
    this.#proxy = new RequestProxy({
      timeout: options.proxyTimeout ?? 30_000,
      trustedHops: options.trustedHops,
      forwarded: options.forwarded,
      transport: options.transport,
      fetch: options.fetch,
      upgradeWebSocket: options.upgradeWebSocket,
      actors: options.actors,
    });
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
      return table === null ? null : this.#compile(table);
    }, { ttl: options.cacheTTL, now: this.#now });
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
   * Checks that a table compiles with this router's settings (auth hook names
   * included), e.g. before storing it.
   *
   * @param table The route table.
   * @throws {SwitchyardError} `invalid_route_table`, `invalid_route_target`,
   * `invalid_route_pattern`, `duplicate_route` or `unknown_auth_hook` (400).
   */
  validate(table: RouteTable): void {
    this.#compile(table);
  }

  #compile(table: RouteTable): RouteMatcher<Plan> {
    const specs = parseRouteTable(table);
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
        target: { parsed: parseTarget(t.url), breaker: this.#breaker(t.url, spec) },
        weight: t.weight,
      }));
      const simple = targets.length === 1 && !spec.retries && !spec.rateLimit && !auth
        ? targets[0]!.target
        : undefined;
      return {
        pattern: spec.pattern,
        methods: spec.methods,
        headers: spec.headers,
        data: {
          spec,
          pool: new TargetPool(targets, spec.balance),
          label: spec.targets.map((t) => t.url).join(", "),
          auth,
          simple,
        },
      };
    }));
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
   * @throws {SwitchyardError} `route_store_unavailable` (503) when the store
   * fails; a compile error (400) when the stored table is invalid.
   */
  handleRequest(
    functionId: string,
    request: Request,
    options: HandleRequestOptions = {},
  ): Promise<Response | null> {
    const matcher = this.#cache.peek(functionId);
    if (matcher === undefined) {
      return this.#cache.get(functionId).then((m) => this.#route(m, functionId, request, options));
    }
    try {
      return this.#route(matcher, functionId, request, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Routes with a table at hand; a plain route is proxied without an `await` of its own. */
  #route(
    matcher: RouteMatcher<Plan> | null,
    functionId: string,
    request: Request,
    options: HandleRequestOptions,
  ): Promise<Response | null> {
    if (matcher === null) return NONE;
    const url = requestUrlParts(request.url);
    const m = matcher.match(options.path ?? url.pathname, request);
    if (m === null) return NONE;
    const plan = m.route.data;
    const simple = plan.simple;
    if (simple !== undefined && simple.breaker === undefined) {
      return this.#proxy.forward(request, {
        target: simple.parsed,
        remainder: m.remainder,
        timeout: plan.spec.timeout,
        clientAddress: options.clientAddress,
        url,
      });
    }
    return this.#guarded(functionId, request, plan, m.params, m.remainder, url, options);
  }

  /** Auth hook, rate limit, then the attempts with balancing, breakers and retries. */
  async #guarded(
    functionId: string,
    request: Request,
    plan: Plan,
    params: Record<string, string>,
    remainder: string | undefined,
    url: RequestUrlParts,
    options: HandleRequestOptions,
  ): Promise<Response> {
    if (plan.auth !== undefined) {
      const answer = await plan.auth(request, {
        functionId,
        pattern: plan.spec.pattern,
        params,
      });
      if (answer instanceof Response) return answer;
    }
    const rl = plan.spec.rateLimit;
    if (rl !== undefined) {
      const wait = this.#bucket(functionId, plan.spec, options.clientAddress).take();
      if (wait > 0) {
        return proxyErrorResponse(
          429,
          "rate_limited",
          `Route "${plan.spec.id}" allows ${rl.limit} requests per ${rl.window} ms`,
          plan.label,
          { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) },
        );
      }
    }
    return this.#send(request, plan, remainder, url, options.clientAddress);
  }

  #bucket(functionId: string, spec: RouteSpec, client: string | undefined): TokenBucket {
    const rl = spec.rateLimit!;
    const key = `${functionId}\u0000${spec.id}\u0000${rl.by === "client" ? client ?? "" : ""}`;
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) {
        // Forget full buckets first (nothing is lost), then the oldest.
        for (const [k, v] of this.#buckets) if (v.full) this.#buckets.delete(k);
        if (this.#buckets.size >= MAX_BUCKETS) {
          this.#buckets.delete(this.#buckets.keys().next().value!);
        }
      }
      b = new TokenBucket({ ...rl, now: this.#now });
      this.#buckets.set(key, b);
    }
    return b;
  }

  async #send(
    request: Request,
    plan: Plan,
    remainder: string | undefined,
    url: RequestUrlParts,
    clientAddress: string | undefined,
  ): Promise<Response> {
    const retry = plan.spec.retries;
    // A body is a stream that can be sent once; non-idempotent methods never repeat.
    const method = request.method;
    const attempts = retry !== undefined && IDEMPOTENT.has(method) &&
        (method === "GET" || method === "HEAD" || request.body === null)
      ? 1 + retry.attempts
      : 1;
    const retryOn = retry?.on ?? [502, 503, 504];
    const tried = new Set<Target>();
    for (let i = 0;; i++) {
      const target = plan.pool.pick((t) => t.breaker === undefined || t.breaker.allow(), tried);
      if (target === undefined) {
        return proxyErrorResponse(
          503,
          "circuit_open",
          `Every target of route "${plan.spec.id}" is failing`,
          plan.label,
        );
      }
      tried.add(target);
      const outcome = await this.#proxy.attempt(request, {
        target: target.parsed,
        remainder,
        timeout: plan.spec.timeout,
        clientAddress,
        url,
      });
      const failed = !outcome.ok || retryOn.includes(outcome.response.status);
      target.breaker?.record(!failed);
      if (!failed || i + 1 >= attempts) {
        return outcome.ok ? outcome.response : failureResponse(outcome);
      }
      // Nothing has been sent to the client yet: drop this answer and try again.
      if (outcome.ok) await outcome.response.body?.cancel();
      const base = Math.min(retry!.maxBackoff, retry!.backoff * 2 ** i);
      const delay = base / 2 + Math.random() * base / 2;
      if (delay > 0) await new Promise<void>((resolve) => deadlines.add(delay, resolve));
    }
  }
}
