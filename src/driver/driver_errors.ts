/**
 * The coded errors a driver throws. Each is a public `SwitchyardError`: its
 * code, status and message reach the caller over every transport.
 *
 * @module
 */
import { publicError, type SwitchyardError } from "../common/errors.ts";
import type { ActorKey } from "../protocol/query.ts";

/**
 * `actor_not_found` (404): no actor with this id, key or type.
 *
 * @param message The sentence, e.g. `Actor type "counter" is not defined`.
 * @returns The error.
 *
 * @example
 * ```ts
 * import { actorNotFound } from "@switchyard/core/driver";
 * console.assert(actorNotFound().code === "actor_not_found");
 * ```
 */
export function actorNotFound(message = "Actor is not found"): SwitchyardError {
  return publicError("actor_not_found", 404, message);
}

/**
 * `actor_already_exists` (409): `create` on a key that is taken.
 *
 * @param name The actor type.
 * @param key The key.
 * @returns The error, with the key as metadata.
 *
 * @example A create() on a taken key
 * ```ts
 * import { actorAlreadyExists } from "@switchyard/core/driver";
 * const err = actorAlreadyExists("counter", ["a"]);
 * console.assert(err.code === "actor_already_exists" && err.status === 409);
 * console.assert(err.message === 'Actor "counter" with this key already exists');
 * ```
 */
export function actorAlreadyExists(name: string, key: ActorKey): SwitchyardError {
  return publicError(
    "actor_already_exists",
    409,
    `Actor "${name}" with this key already exists`,
    { key },
  );
}

/**
 * `actor_stopped` (503): the server or driver is shutting down.
 *
 * @param reason The sentence to show.
 * @returns The error.
 *
 * @example A driver that is shutting down
 * ```ts
 * import { actorStopped } from "@switchyard/core/driver";
 * const err = actorStopped();
 * console.assert(err.code === "actor_stopped" && err.status === 503);
 * console.assert(err.message === "Server is shutting down");
 * ```
 */
export function actorStopped(reason = "Server is shutting down"): SwitchyardError {
  return publicError("actor_stopped", 503, reason);
}

/**
 * `key_too_long` (400): the host cannot store a key this long.
 *
 * @param name The actor type.
 * @param bytes The encoded size of the key.
 * @param limit The host's limit.
 * @returns The error.
 *
 * @example A key past the host's limit
 * ```ts
 * import { keyTooLong } from "@switchyard/core/driver";
 * const err = keyTooLong("counter", 3000, 2048);
 * console.assert(err.code === "key_too_long" && err.status === 400);
 * console.assert((err.metadata as { limit: number }).limit === 2048);
 * ```
 */
export function keyTooLong(name: string, bytes: number, limit: number): SwitchyardError {
  return publicError(
    "key_too_long",
    400,
    `Key of actor "${name}" is ${bytes} bytes encoded; this driver stores at most ${limit}`,
    { bytes, limit },
  );
}

/**
 * `state_corrupt` (500, public): an actor's stored state cannot be read; the
 * actor does not load, and its stored bytes are left as they are.
 *
 * @param actorId The actor id.
 * @param detail What is wrong, e.g. `chunk 2 of 3 is missing`.
 * @returns The error.
 *
 * @example Stored state that cannot be read
 * ```ts
 * import { stateCorrupt } from "@switchyard/core/driver";
 * const err = stateCorrupt("a1b2", "chunk 2 of 3 is missing");
 * console.assert(err.code === "state_corrupt" && err.public);
 * console.assert(err.message.endsWith("cannot be read: chunk 2 of 3 is missing"));
 * ```
 */
export function stateCorrupt(actorId: string, detail: string): SwitchyardError {
  return publicError(
    "state_corrupt",
    500,
    `Stored state of actor "${actorId}" cannot be read: ${detail}`,
    { actorId },
  );
}

/**
 * `storage_failed` (503): a write could not be made durable after retries;
 * the change it carried was not acknowledged.
 *
 * @param detail What failed.
 * @returns The error.
 *
 * @example A write that could not be made durable
 * ```ts
 * import { storageFailed } from "@switchyard/core/driver";
 * const err = storageFailed("disk is full");
 * console.assert(err.code === "storage_failed" && err.status === 503);
 * console.assert(err.message === "State could not be written: disk is full");
 * ```
 */
export function storageFailed(detail: string): SwitchyardError {
  return publicError("storage_failed", 503, `State could not be written: ${detail}`);
}
