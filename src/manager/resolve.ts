/**
 * Resolving an actor query to a record through a `ManagerDriver`.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import type { Intent } from "../actor/definition.ts";
import { type ActorQuery, queryName } from "../protocol/query.ts";
import type { ActorRecord } from "../driver/actor_record.ts";
import type { ManagerDriver } from "../driver/manager_driver.ts";

/**
 * The intents a query implies: `get` to look up, `create` to make.
 *
 * @param query The query.
 * @returns The intents.
 */
export function queryIntents(query: ActorQuery): Intent[] {
  if ("getOrCreateForKey" in query) return ["get", "create"];
  if ("create" in query) return ["create"];
  return ["get"];
}

/**
 * Finds or creates the actor a query names.
 *
 * @param manager The manager driver.
 * @param query The query.
 * @returns The actor's record.
 * @throws {SwitchyardError} `actor_not_found` (404), `actor_already_exists` (409).
 */
export async function resolveQuery(
  manager: ManagerDriver,
  query: ActorQuery,
): Promise<ActorRecord> {
  let record: ActorRecord | undefined;
  if ("getForId" in query) {
    record = await manager.getForId(query.getForId.name, query.getForId.actorId);
  } else if ("getForKey" in query) {
    record = await manager.getWithKey(query.getForKey.name, query.getForKey.key);
  } else if ("getOrCreateForKey" in query) {
    const q = query.getOrCreateForKey;
    record = await manager.getOrCreateWithKey(q.name, q.key, q.input);
  } else {record = await manager.createActor(
      query.create.name,
      query.create.key,
      query.create.input,
    );}
  if (!record) {
    throw publicError("actor_not_found", 404, `Actor "${queryName(query)}" is not found`, {
      query,
    });
  }
  return record;
}

/**
 * Throws unless `name` is a defined actor type.
 *
 * @param has Whether the type exists.
 * @param name The actor type name.
 * @throws {SwitchyardError} `actor_not_found` (404).
 */
export function assertActorType(has: boolean, name: string): void {
  if (!has) {
    throw publicError("actor_not_found", 404, `Actor type "${name.slice(0, 64)}" is not defined`);
  }
}

/**
 * Actor ids by query, for the queries the manager router reuses (frozen
 * cached ones, see `readQuery`). An actor's id never changes and actors are
 * not deleted, so a resolved `get`/`getOrCreate` query keeps its id; `create`
 * queries are never remembered. This caches identity only: where the actor
 * lives is asked of the driver on every call.
 */
export class ActorIds {
  #manager: ManagerDriver;
  #ids = new WeakMap<ActorQuery, string>();

  /** @param manager The driver that resolves queries. */
  constructor(manager: ManagerDriver) {
    this.#manager = manager;
  }

  /**
   * The actor id a query names: without a wait when this query object was
   * resolved before.
   *
   * @param query The query.
   * @returns The id, or a promise of it.
   * @throws {SwitchyardError} `actor_not_found` (404), `actor_already_exists` (409).
   */
  of(query: ActorQuery): string | Promise<string> {
    const known = this.#ids.get(query);
    if (known !== undefined) return known;
    return resolveQuery(this.#manager, query).then((record) => {
      if (!("create" in query) && Object.isFrozen(query)) this.#ids.set(query, record.actorId);
      return record.actorId;
    });
  }
}
