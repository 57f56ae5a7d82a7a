/**
 * {@linkcode createRouteAdminApi}: a small HTTP API (a Hono app) to read and
 * replace a function's routes; every write invalidates the router's cache.
 *
 * @module
 */
import { Hono } from "hono";
import { publicError, toErrorBody } from "../common/errors.ts";
import type { RouteRecord, WritableRouteStore } from "./route_store.ts";
import { parseRouteTable, type RouteTable } from "./route_table.ts";

/** Options of {@linkcode createRouteAdminApi}. */
export interface RouteAdminApiOptions {
  /** The cache to invalidate after a write (e.g. `router.cache`). */
  cache?: { invalidate(functionId: string): unknown };
  /** Extra validation before a write (e.g. `(t) => router.validate(t)`); throw to refuse. */
  validate?: (table: RouteTable) => void;
  /**
   * Decides whether a request may use the API; `false` answers 401. The API
   * replaces where traffic goes: protect it here or in front of it.
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
}

/** A fetch handler, mountable in any Hono app with `app.mount(prefix, api.fetch)`. */
export interface RouteAdminApi {
  /**
   * Answers a request whose path is relative to the mount point.
   *
   * @param request The request.
   * @returns The response.
   */
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * Creates the admin API. Routes, relative to where it is mounted:
 *
 * - `GET /:functionId` → 200 `{ functionId, active, routes }` or 404 `routes_not_found`
 * - `PUT /:functionId` with `{ routes, active? }` (`active` defaults to `true`)
 *   → 200 with the stored record, 400 when the table is invalid
 * - `DELETE /:functionId` → 204 or 404
 *
 * Errors use the library's wire form `{ code, message, metadata }`.
 *
 * @param store A writable route store.
 * @param options Cache to invalidate, extra validation, authorisation.
 * @returns A fetch handler backed by a Hono app.
 *
 * @example Mount beside the router
 * ```ts
 * import { Hono } from "hono";
 * import { createRouteAdminApi, MemoryRouteStore, RuntimeRouter } from "@switchyard/core/gateway";
 * const store = new MemoryRouteStore();
 * const router = new RuntimeRouter(store);
 * const app = new Hono();
 * app.mount("/admin/routes", createRouteAdminApi(store, { cache: router.cache }).fetch);
 * const res = await app.request("/admin/routes/fn1", {
 *   method: "PUT",
 *   body: JSON.stringify({ routes: { "/*": "https://example.com" } }),
 * });
 * console.assert(res.status === 200);
 * ```
 */
export function createRouteAdminApi(
  store: WritableRouteStore,
  options: RouteAdminApiOptions = {},
): RouteAdminApi {
  const app = new Hono();
  app.onError((err, c) => {
    const { body, status } = toErrorBody(err);
    return c.json(body, status as 400);
  });
  if (options.authorize) {
    const authorize = options.authorize;
    app.use("*", async (c, next) => {
      if (!(await authorize(c.req.raw))) {
        throw publicError("unauthorized", 401, "The route admin API refused this request");
      }
      await next();
    });
  }
  app.get("/:functionId", async (c) => {
    const functionId = c.req.param("functionId");
    const record = await store.getRecord(functionId);
    if (record === null) throw notFound(functionId);
    return c.json({ functionId, ...record });
  });
  app.put("/:functionId", async (c) => {
    const functionId = c.req.param("functionId");
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw publicError("malformed_body", 400, "Body is not valid JSON");
    }
    const record = toRecord(body);
    parseRouteTable(record.routes);
    options.validate?.(record.routes);
    await store.setRecord(functionId, record);
    options.cache?.invalidate(functionId);
    return c.json({ functionId, ...record });
  });
  app.delete("/:functionId", async (c) => {
    const functionId = c.req.param("functionId");
    const existed = await store.deleteRecord(functionId);
    options.cache?.invalidate(functionId);
    if (!existed) throw notFound(functionId);
    return c.body(null, 204);
  });
  return { fetch: (request) => app.fetch(request) };
}

function notFound(functionId: string): Error {
  return publicError("routes_not_found", 404, `Function "${functionId}" has no routes`, {
    functionId,
  });
}

function toRecord(body: unknown): RouteRecord {
  const b = body as { routes?: unknown; active?: unknown } | null;
  const keys = b !== null && typeof b === "object" ? Object.keys(b) : [];
  if (
    b === null || typeof b !== "object" || Array.isArray(b) ||
    typeof b.routes !== "object" || b.routes === null ||
    (b.active !== undefined && typeof b.active !== "boolean") ||
    keys.some((k) => k !== "routes" && k !== "active")
  ) {
    throw publicError(
      "invalid_route_table",
      400,
      "Body must be { routes, active? } with a route table and a boolean",
    );
  }
  return { routes: b.routes as RouteTable, active: b.active ?? true };
}
