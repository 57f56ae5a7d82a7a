/**
 * `isThenable`: the test the runtime uses to decide whether a hook's or an
 * action's result is awaited (promises and any other object with `then`).
 *
 * @module
 */

/**
 * True for promises and other thenables.
 *
 * @param value Anything a handler returned.
 * @returns Whether to await it.
 *
 * @example
 * ```ts
 * import { isThenable } from "./thenable.ts";
 * isThenable(Promise.resolve(1)); // true
 * isThenable({ then() {} }); // true
 * isThenable(42); // false
 * ```
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise ||
    (value !== null && (typeof value === "object" || typeof value === "function") &&
      typeof (value as { then?: unknown }).then === "function");
}
