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
 */
export function timeoutError(timeout: number): DOMException {
  return new DOMException(`No response headers within ${timeout} ms`, "TimeoutError");
}
