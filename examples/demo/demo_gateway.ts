/**
 * The demo's API gateway: a route table in a memory route store, served by
 * a `RuntimeRouter` under `/gw/`, in front of the demo's upstream service
 * and of the counter actor.
 *
 * @module
 */
import { createGateway, MemoryRouteStore, type RouteTable } from "../../src/gateway/mod.ts";
import type { Server } from "../../mod.ts";
import type { registry } from "../actors.ts";

/** The function id the demo's routes are stored under. */
export const GATEWAY_FUNCTION = "demo";

/** The gateway of a running demo. */
export interface DemoGateway {
  /** The route table, as stored. */
  readonly routes: RouteTable;
  /**
   * Routes a request whose path starts with `/gw/`.
   *
   * @param request The request.
   * @param clientAddress The peer address, for `X-Forwarded-For`.
   * @returns The proxied response, or a coded 404 `route_not_found`.
   */
  handle(request: Request, clientAddress?: string): Promise<Response>;
  /** Closes the pooled upstream connections. */
  close(): void;
}

/**
 * The demo's route table: a plain route, an API wildcard, a rate-limited
 * route and an `actor://` route to the counter.
 *
 * @param upstream Base URL of the upstream service.
 * @returns The table.
 */
export function demoRoutes(upstream: string): RouteTable {
  return {
    "GET /gw/hello": `${upstream}/hello`,
    "/gw/api/*": { target: `${upstream}/api`, timeout: 5_000, retries: 1 },
    "GET /gw/limited": {
      target: `${upstream}/hello`,
      rateLimit: { limit: 3, window: 60_000 },
    },
    "GET /gw/counter/*": "actor://counter/demo/",
  };
}

/**
 * Builds the gateway.
 *
 * @param server The demo's switchyard server (for `actor://` targets).
 * @param upstream Base URL of the upstream service.
 * @returns The gateway.
 */
export function createDemoGateway(
  server: Server<typeof registry>,
  upstream: string,
): DemoGateway {
  const routes = demoRoutes(upstream);
  const store = new MemoryRouteStore({ [GATEWAY_FUNCTION]: routes });
  // `actor://` routes go through the server's public path: the counter's onAuth runs as for any
  // outside request, and the server's /metrics includes the gateway's counters.
  const router = createGateway(server, store, { cacheTTL: 60, proxyTimeout: 10_000 });
  return {
    routes,
    async handle(request, clientAddress) {
      const res = await router.handleRequest(GATEWAY_FUNCTION, request, { clientAddress });
      if (res) return res;
      const path = new URL(request.url).pathname;
      const body = { code: "route_not_found", message: `No gateway route matches "${path}"` };
      return Response.json(body, { status: 404 });
    },
    close: () => router.close(),
  };
}
