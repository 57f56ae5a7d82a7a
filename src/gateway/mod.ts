/**
 * The route proxy: a function (or an actor) acting as an API gateway.
 * Incoming requests are matched against the function's route table and
 * proxied to backends; when nothing matches, {@linkcode RuntimeRouter}
 * answers `null` and the caller runs its own code.
 *
 * - {@linkcode RouteMatcher}: exact paths, `:param`, `:param(regex)`, trailing
 *   `*`, whole-path `~regex` routes, method and header conditions, with a
 *   documented priority rule.
 * - Per route: {@linkcode RouteTransform} (headers, path, body hooks),
 *   {@linkcode ResponseCache} (caching policies), {@linkcode GatewayMetrics}
 *   (`getStats()`, Prometheus text from `router.metrics()`).
 * - {@linkcode RequestProxy}: streaming, hop-by-hop removal (RFC 9110 §7.6.1),
 *   `X-Forwarded-*` / `Forwarded`, path-escape checks, WebSockets, actor
 *   targets, JSON errors `{ error, code, target }` (504, 502, 500).
 * - Transports: {@linkcode ProxyTransport}, chosen by {@linkcode defaultTransport}:
 *   {@linkcode denoTransport} (HTTP/1.1 pools over `Deno.connect`) on Deno,
 *   {@linkcode nodeTransport} (undici pools) on Node, {@linkcode fetchTransport} elsewhere.
 * - {@linkcode RuntimeRouter}: cached tables per function, balancing, retries,
 *   circuit breakers, rate limits, auth hooks, timeouts per route.
 * - Stores: {@linkcode MemoryRouteStore}, {@linkcode KvRouteStore}; an admin
 *   API from {@linkcode createRouteAdminApi}.
 *
 * See docs/gateway.md for the route syntax and the priority rule.
 *
 * @example A gateway in front of a function
 * ```ts
 * import { MemoryRouteStore, RuntimeRouter } from "@switchyard/core/gateway";
 *
 * const store = new MemoryRouteStore({
 *   shop: {
 *     "/api/users/*": "https://users.example.com",
 *     "GET /health": { target: "https://status.example.com/ping", timeout: 2_000 },
 *   },
 * });
 * const router = new RuntimeRouter(store, { cacheTTL: 300, proxyTimeout: 30_000 });
 *
 * // No route matches "/checkout": the function runs its own code.
 * const res = await router.handleRequest("shop", new Request("http://shop.test/checkout"));
 * console.assert(res === null);
 * ```
 *
 * @module
 */

// Matching
export {
  type CompiledRoute,
  type HeaderCondition,
  type MatchConditions,
  type RouteDefinition,
  type RouteKind,
  type RouteMatch,
  RouteMatcher,
} from "./route_matcher.ts";

// Proxying one request
export {
  type ActorFetcher,
  type ForwardOptions,
  RequestProxy,
  type RequestProxyOptions,
  type UpgradeWebSocket,
} from "./request_proxy.ts";
export {
  defaultTransport,
  type FetchLike,
  fetchTransport,
  type ProxyTransport,
  timeoutError,
  type TransportRequest,
} from "./transport.ts";
export {
  denoTransport,
  denoTransportAvailable,
  type DenoTransportOptions,
} from "./deno_transport.ts";
export {
  globalDispatcher,
  nodeTransport,
  nodeTransportAvailable,
  type NodeTransportOptions,
  type UndiciDispatcher,
} from "./node_transport.ts";
export {
  failureResponse,
  proxyErrorResponse,
  type ProxyFailureKind,
  type ProxyOutcome,
} from "./proxy_errors.ts";
export {
  type ActorTarget,
  buildTargetUrl,
  type HttpTarget,
  isSafeRemainder,
  type ParsedTarget,
  parseTarget,
  type RequestUrlParts,
  requestUrlParts,
} from "./target_url.ts";
export { bridgeSockets, sendableCloseCode } from "./websocket_bridge.ts";
export { serverActorFetcher, type ServerFetch } from "./server_actor_fetcher.ts";
export { createGateway, type GatewayHost } from "./create_gateway.ts";

// Route tables and the router
export {
  type CircuitBreakerConfig,
  parseRouteTable,
  type RateLimitConfig,
  type RetryConfig,
  type RouteConfig,
  type RouteEntry,
  type RouteSpec,
  type RouteTable,
  type WeightedTarget,
} from "./route_table.ts";
export {
  type AuthContext,
  type AuthHook,
  type HandleRequestOptions,
  type RouterStats,
  RuntimeRouter,
  type RuntimeRouterOptions,
} from "./runtime_router.ts";
export {
  type BodyTransform,
  type BodyTransformContext,
  type HeaderEdit,
  type HeaderTransform,
  type PathRewrite,
  type RequestTransform,
  type ResponseTransform,
  RouteTransform,
  type TransformConfig,
} from "./route_transform.ts";
export {
  CACHE_STATUS,
  type CacheLookup,
  type CachePolicy,
  ResponseCache,
  withCacheStatus,
} from "./response_cache.ts";
export {
  GatewayMetrics,
  type GatewayTraffic,
  LATENCY_BUCKETS,
  MetricCell,
  type TrafficStats,
  type UpstreamErrorKind,
  upstreamErrorKind,
} from "./gateway_metrics.ts";
export { RouteCache, type RouteCacheOptions, type RouteCacheStats } from "./route_cache.ts";

// Resilience building blocks
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from "./circuit_breaker.ts";
export { TokenBucket, type TokenBucketOptions } from "./token_bucket.ts";
export { type BalanceStrategy, TargetPool } from "./target_pool.ts";

// Stores and administration
export {
  MemoryRouteStore,
  type RouteRecord,
  type RouteStore,
  type WritableRouteStore,
} from "./route_store.ts";
export {
  type KvAtomicLike,
  type KvLike,
  KvRouteStore,
  type KvRouteStoreOptions,
} from "./kv_route_store.ts";
export {
  createRouteAdminApi,
  type RouteAdminApi,
  type RouteAdminApiOptions,
} from "./route_admin_api.ts";

// Socket types used by the WebSocket options (defined in common)
export type { SocketCloseEvent, SocketLike, SocketMessageEvent } from "../common/socket.ts";
