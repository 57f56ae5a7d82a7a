/**
 * Errors the client raises on its own (no server answer involved). Codes:
 * `network_error`, `unexpected_response`, `connection_failed`,
 * `connection_lost`, `connection_closed`, `connection_reset`,
 * `events_missed`, `malformed_message`.
 *
 * @module
 */
import { SwitchyardError } from "../common/errors.ts";

/**
 * Builds a public client-side error.
 *
 * @param code Stable snake_case code.
 * @param status HTTP-like status; ≥ 500 marks it as worth a retry.
 * @param message Sentence-case message.
 * @param options Metadata and cause.
 * @returns The error.
 */
export function clientError(
  code: string,
  status: number,
  message: string,
  options: { metadata?: unknown; cause?: unknown } = {},
): SwitchyardError {
  return new SwitchyardError(code, message, {
    status,
    public: true,
    metadata: options.metadata,
    cause: options.cause,
  });
}

/**
 * Whether a value is a coded error (crossed the wire or not): it has a
 * string `code`. Never uses `instanceof`, so copies from other realms count.
 *
 * @param err Anything thrown.
 * @returns True for coded errors.
 */
export function isCoded(err: unknown): err is SwitchyardError {
  return typeof err === "object" && err !== null &&
    typeof (err as { code?: unknown }).code === "string";
}

/**
 * Turns anything thrown by a driver into a coded error; uncoded values become
 * `network_error`.
 *
 * @param err Anything thrown.
 * @returns A coded error.
 */
export function toCoded(err: unknown): SwitchyardError {
  if (isCoded(err)) return err;
  return clientError("network_error", 503, "Network request failed", { cause: err });
}

/**
 * Whether an attempt that failed with this error may succeed later: server
 * and network failures, timeouts and rate limits.
 *
 * @param err A coded error.
 * @returns True when a retry makes sense.
 */
export function isRetryable(err: SwitchyardError): boolean {
  const status = typeof err.status === "number" ? err.status : 500;
  return status >= 500 || status === 408 || status === 429;
}
