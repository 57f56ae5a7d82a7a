/**
 * Object helpers for building plain data from untrusted keys.
 *
 * @module
 */

/**
 * Sets `obj[key] = value` as an own data property. An own `"__proto__"` key
 * (from `JSON.parse` or a decoded map) stays a key instead of replacing the
 * object's prototype.
 *
 * @param obj The object being built.
 * @param key The key.
 * @param value The value.
 *
 * @example Keep "__proto__" as data
 * ```ts
 * import { setOwn } from "./objects.ts";
 * const o: Record<string, unknown> = {};
 * setOwn(o, "__proto__", { polluted: true });
 * console.assert(Object.getPrototypeOf(o) === Object.prototype);
 * ```
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else obj[key] = value;
}
