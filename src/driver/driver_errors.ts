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
 */
export function storageFailed(detail: string): SwitchyardError {
  return publicError("storage_failed", 503, `State could not be written: ${detail}`);
}
