/**
 * Resolving an actor query to a record through a `ManagerDriver`.
 *
 * @module
 */
import { publicError } from "../common/errors.ts";
import type { Intent } from "../actor/definition.ts";
import { type ActorQuery, queryName } from "../protocol/query.ts";
import type { ActorRecord, ManagerDriver } from "./driver.ts";

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
