/**
 * The manager router (Hono): the public endpoints of the server. For every
 * request into an actor it reads the actor query, runs the actor type's
 * `onAuth` with the request's intents, resolves the actor id through the
 * `ManagerDriver`, builds a fresh standard `Request` for the actor router and
 * hands it (or the upgraded WebSocket) to the actor through
 * {@linkcode ActorDispatch}. The routes live in `actor_routes.ts` (HTTP) and
 * `socket_routes.ts` (WebSockets); this file holds the operator endpoints
 * (`/health`, `/metrics`, `GET /actors`), errors, CORS and the hot path of
 * HTTP actions.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { parseEncoding } from "../common/encoding.ts";
import { publicError, SwitchyardError } from "../common/errors.ts";
import { safeEqual } from "../common/ids.ts";
import {
  HEADER_ACTOR_ID,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_SUBS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
  HEADER_QUERY,
} from "../protocol/headers.ts";
import { errorResponse } from "../protocol/http.ts";
import type { Upgrader } from "../runtime/upgrade.ts";
import { mountActorRoutes } from "./actor_routes.ts";
import { ActorDispatch } from "./dispatch.ts";
import { actionName, httpActions } from "./http_action.ts";
import { ActorIds } from "./resolve.ts";
import type { ManagerApp, ManagerRouterOptions, RoutesContext } from "./routes_context.ts";
import { mountSocketRoutes } from "./socket_routes.ts";

export type { CorsOptions, ManagerRouterOptions } from "./routes_context.ts";

/** The manager router: `fetch(request, env)`; `env.upgradeWebSocket` overrides the upgrader. */
export interface ManagerRouter {
  /** Serves one request. */
  fetch(request: Request, env?: { upgradeWebSocket?: Upgrader }): Promise<Response>;
}

/**
 * Builds the manager router.
 *
 * @param options Driver, definitions and settings.
 * @returns The router.
 */
export function createManagerRouter(options: ManagerRouterOptions): ManagerRouter {
  const { manager, definitions, maxBodySize, metrics } = options;
  const dispatch = options.dispatch ?? new ActorDispatch(manager);
  const ids = new ActorIds(manager);
  /** Responses of accepted upgrades, counted as 101 whatever status the host's upgrader gave. */
  const upgrades = new WeakSet<Response>();
  const app: ManagerApp = new Hono();

  function onError(err: unknown, request: Request): Response {
    let enc: "json" | "cbor" = "json";
    try {
      enc = parseEncoding(request.headers.get(HEADER_ENCODING));
    } catch { /* answer in JSON */ }
    if (!(err instanceof SwitchyardError && err.public)) {
      console.error("switchyard: internal error", err);
    }
    return errorResponse(err, enc);
  }
  app.onError((err, c) => onError(err, c.req.raw));
  app.notFound(() => errorResponse(publicError("not_found", 404, "Route is not found")));

  if (options.cors) {
    const o = options.cors;
    app.use(
      "*",
      cors({
        origin: o.origin,
        credentials: o.credentials ?? false,
        maxAge: o.maxAge ?? 600,
        allowHeaders: [
          "content-type",
          "authorization",
          HEADER_QUERY,
          HEADER_ENCODING,
          HEADER_CONN_PARAMS,
          HEADER_CONN_ID,
          HEADER_CONN_TOKEN,
          HEADER_LAST_SEQ,
          HEADER_CONN_SUBS,
        ],
        exposeHeaders: [HEADER_ACTOR_ID],
      }),
    );
  }

  app.get("/health", () => Response.json({ status: "ok" }));
  app.get(
    "/metrics",
    () =>
      new Response(metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } }),
  );

  app.get("/actors", async (c) => {
    const token = options.operatorToken;
    if (!token || !safeEqual(c.req.header("authorization") ?? "", `Bearer ${token}`)) {
      throw publicError("forbidden", 403, "Listing actors needs the operator token");
    }
    const limit = Number(c.req.query("limit") ?? 100);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      throw publicError("invalid_request", 400, 'Query parameter "limit" must be 1 to 10000');
    }
    const name = c.req.query("name");
    const records = await manager.listActors({ name, limit });
    const actors = records.map((r) => ({ ...r, live: options.inspect?.(r.actorId) ?? null }));
    return Response.json({ actors });
  });

  const runHttpAction = httpActions({ dispatch, ids, definitions, maxBodySize, metrics, onError });
  const ctx: RoutesContext = {
    manager,
    dispatch,
    definitions,
    maxBodySize,
    metrics,
    options,
    upgrades,
    runHttpAction,
  };
  mountActorRoutes(app, ctx);
  mountSocketRoutes(app, ctx);

  // HTTP actions are the hot path: without CORS (whose middleware must run),
  // they skip Hono's dispatch and answer exactly as the route above would.
  const direct = !options.cors;
  async function viaHono(
    request: Request,
    env: { upgradeWebSocket?: Upgrader } | undefined,
  ): Promise<Response> {
    const res = await app.fetch(request, env);
    // Hosts whose upgrader cannot build a 101 Response (Node's adapter) still count as 101.
    metrics.request(upgrades.has(res) ? 101 : res.status);
    return res;
  }
  return {
    fetch(request, env) {
      const name = direct ? actionName(request) : undefined;
      return name !== undefined ? runHttpAction(request, name, true) : viaHono(request, env);
    },
  };
}
