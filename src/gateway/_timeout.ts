/**
 * The rejection every transport uses for a missed deadline. Private to the
 * gateway; re-exported by `transport.ts`.
 *
 * @module
 */

/**
 * The error a transport rejects with when the response headers did not arrive in time.
 *
 * @param timeout The timeout that passed, in milliseconds.
 * @returns A `DOMException` named `TimeoutError`.
 *
 * @example What a transport rejects with when the upstream is late
 * ```ts
 * import { timeoutError } from "@switchyard/core/gateway";
 * const err = timeoutError(250);
 * console.assert(err.name === "TimeoutError");
 * console.assert(err.message === "No response headers within 250 ms");
 * ```
 */
export function timeoutError(timeout: number): DOMException {
  return new DOMException(`No response headers within ${timeout} ms`, "TimeoutError");
}
