/**
 * {@linkcode createGateway}: a route proxy mounted on a switchyard server.
 *
 * @module
 */
import { RuntimeRouter, type RuntimeRouterOptions } from "./runtime_router.ts";
import type { RouteStore } from "./route_store.ts";
import { serverActorFetcher } from "./server_actor_fetcher.ts";

/** The part of a switchyard `Server` a gateway uses. */
export interface GatewayHost {
  /** The server's request handler. */
  fetch(request: Request): Promise<Response>;
  /** Adds text to the server's `GET /metrics`. */
  includeMetrics(render: () => string): void;
}

/**
 * Creates a route proxy for a server: its `actor://` targets reach the
 * server's actors through the server's own public path (so each actor's
 * `onAuth` runs exactly as for an outside request, and an actor without
 * `onAuth` is refused with 403), and the server's `/metrics` includes its
 * counters.
 *
 * @param server The switchyard server (`registry.createServer(...)`).
 * @param store Where route tables are read.
 * @param options Router options (`actors` is set here).
 * @returns The router.
 * @throws {TypeError} When `server` is not a server.
 *
 * @example A route to an actor through its onAuth
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * import { createGateway, MemoryRouteStore } from "@switchyard/core/gateway";
 *
 * const page = actor({ onAuth: () => {}, onFetch: () => new Response("hello"), actions: {} });
 * const server = setup({ use: { page } }).createServer({ driver: memoryDriver() });
 * const gateway = createGateway(server, new MemoryRouteStore({ site: { "/*": "actor://page/home" } }));
 * const res = await gateway.handleRequest("site", new Request("http://example.test/"));
 * console.assert((await res!.text()) === "hello");
 * await server.shutdown();
 * ```
 */
export function createGateway(
  server: GatewayHost,
  store: RouteStore,
  options: Omit<RuntimeRouterOptions, "actors"> = {},
): RuntimeRouter {
  if (
    typeof server?.fetch !== "function" || typeof server?.includeMetrics !== "function"
  ) {
    throw new TypeError("createGateway() needs a switchyard server (registry.createServer(...))");
  }
  const router = new RuntimeRouter(store, {
    ...options,
    actors: serverActorFetcher((request) => server.fetch(request)),
  });
  server.includeMetrics(() => router.metrics());
  return router;
}
