/**
 * The driver contract, for writing a driver: the `ManagerDriver` (find,
 * create and reach actors) and `ActorDriver` (load them, store their state
 * and alarms) interfaces, the coded errors drivers throw, and the helpers a
 * driver needs (the in-process socket pair, ids, key encoding, protocol
 * header names, and `LocalActors` for drivers that host actors in this
 * process). The conformance suite is `@switchyard/core/driver/testing`.
 *
 * @example A driver that wraps another one and counts the actors it creates
 * ```ts
 * import type { DriverFactory } from "@switchyard/core/driver";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 *
 * function counting(inner: DriverFactory, seen: string[]): DriverFactory {
 *   return {
 *     name: `${inner.name} (counting)`,
 *     create(context) {
 *       const pair = inner.create(context);
 *       const m = pair.manager;
 *       const manager = Object.create(m);
 *       manager.getOrCreateWithKey = async (name: string, key: string[], input?: unknown) => {
 *         const record = await m.getOrCreateWithKey(name, key, input);
 *         seen.push(record.actorId);
 *         return record;
 *       };
 *       return { ...pair, manager };
 *     },
 *   };
 * }
 * const seen: string[] = [];
 * console.assert(counting(memoryDriver(), seen).name === "memory (counting)");
 * ```
 *
 * @module
 */
export type { ActorDriver, LoadedActor } from "./actor_driver.ts";
export type { ActorRecord } from "./actor_record.ts";
export type {
  ActorRouter,
  CreatedDriver,
  DriverContext,
  DriverFactory,
  ListActorsOptions,
  ManagerDriver,
  OpenWebSocketOptions,
} from "./manager_driver.ts";
export {
  actorAlreadyExists,
  actorNotFound,
  actorStopped,
  keyTooLong,
  stateCorrupt,
  storageFailed,
} from "./driver_errors.ts";
export { LocalActors } from "./local_actors.ts";
export { publicError, SwitchyardError } from "../common/errors.ts";
export { randomId } from "../common/ids.ts";
export { socketPair } from "../common/socket.ts";
export type { SocketCloseEvent, SocketLike, SocketMessageEvent } from "../common/socket.ts";
export { type ActorKey, type ActorQuery, serializeKey } from "../protocol/query.ts";
export {
  HEADER_ACTOR_ID,
  HEADER_AUTH,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
  HEADER_QUERY,
} from "../protocol/headers.ts";
