/**
 * Route stores: the one-method {@linkcode RouteStore} contract the router
 * reads, the writable contract the admin API uses, and
 * {@linkcode MemoryRouteStore}.
 *
 * @module
 */
import { parseRouteTable, type RouteTable } from "./route_table.ts";

/** Where the router reads route tables. */
export interface RouteStore {
  /**
   * Reads the routes of an active function. May be called concurrently.
   *
   * @param functionId The function id.
   * @returns The table, or `null` when the function has no routes or is not active.
   */
  getRoutes(functionId: string): Promise<RouteTable | null>;
}

/** A function's stored routes. */
export interface RouteRecord {
  /** The route table. */
  routes: RouteTable;
  /** Whether requests are routed; an inactive function's routes are kept but unused. */
  active: boolean;
}

/** A route store that can also be written (used by the admin API). */
export interface WritableRouteStore extends RouteStore {
  /**
   * Reads a function's record, active or not.
   *
   * @param functionId The function id.
   * @returns The record, or `null`.
   */
  getRecord(functionId: string): Promise<RouteRecord | null>;
  /**
   * Replaces a function's record. Concurrent writes for one id: the last wins.
   *
   * @param functionId The function id.
   * @param record The new record; its table is validated first.
   * @throws {SwitchyardError} `invalid_route_table` / `invalid_route_target` (400).
   */
  setRecord(functionId: string, record: RouteRecord): Promise<void>;
  /**
   * Removes a function's record.
   *
   * @param functionId The function id.
   * @returns Whether there was one.
   */
  deleteRecord(functionId: string): Promise<boolean>;
}

/**
 * Route records in memory.
 *
 * @example Store and read
 * ```ts
 * import { MemoryRouteStore } from "@switchyard/core/gateway";
 * const store = new MemoryRouteStore({ fn1: { "/*": "https://example.com" } });
 * console.assert((await store.getRoutes("fn1")) !== null);
 * await store.setRecord("fn1", { routes: { "/*": "https://example.com" }, active: false });
 * console.assert((await store.getRoutes("fn1")) === null);
 * ```
 */
export class MemoryRouteStore implements WritableRouteStore {
  #records = new Map<string, RouteRecord>();

  /**
   * Creates a store, optionally with active tables.
   *
   * @param initial Active tables by function id.
   * @throws {SwitchyardError} `invalid_route_table` when a table is invalid.
   */
  constructor(initial: Record<string, RouteTable> = {}) {
    for (const [id, routes] of Object.entries(initial)) {
      parseRouteTable(routes);
      this.#records.set(id, { routes: structuredClone(routes), active: true });
    }
  }

  /** {@inheritDoc RouteStore.getRoutes} */
  getRoutes(functionId: string): Promise<RouteTable | null> {
    const r = this.#records.get(functionId);
    return Promise.resolve(r?.active ? structuredClone(r.routes) : null);
  }

  /** {@inheritDoc WritableRouteStore.getRecord} */
  getRecord(functionId: string): Promise<RouteRecord | null> {
    const r = this.#records.get(functionId);
    return Promise.resolve(r ? structuredClone(r) : null);
  }

  /** {@inheritDoc WritableRouteStore.setRecord} */
  async setRecord(functionId: string, record: RouteRecord): Promise<void> {
    await Promise.resolve();
    parseRouteTable(record.routes);
    this.#records.set(
      functionId,
      structuredClone({ routes: record.routes, active: record.active }),
    );
  }

  /** {@inheritDoc WritableRouteStore.deleteRecord} */
  deleteRecord(functionId: string): Promise<boolean> {
    return Promise.resolve(this.#records.delete(functionId));
  }
}
