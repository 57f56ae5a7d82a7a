/**
 * The gateway's error responses: JSON `{ error, code, target }`, and the
 * outcome type of one proxy attempt.
 *
 * @module
 */

/** Why an attempt failed: `timeout` (504), `unreachable` (502) or `error` (500). */
export type ProxyFailureKind = "timeout" | "unreachable" | "error";

/** The result of {@linkcode RequestProxy.prototype.attempt}. */
export type ProxyOutcome =
  | { ok: true; response: Response }
  | {
    ok: false;
    kind: ProxyFailureKind;
    target: string;
    message: string;
    /** What the transport rejected with, when there was an error. */
    cause?: unknown;
  };

const FAILURES: Record<ProxyFailureKind, [number, string]> = {
  timeout: [504, "upstream_timeout"],
  unreachable: [502, "upstream_unreachable"],
  error: [500, "upstream_error"],
};

/**
 * Builds the JSON error response of the gateway: `{ error, code, target }`.
 *
 * @param status HTTP status.
 * @param code Stable snake_case code.
 * @param message Sentence-case message.
 * @param target The target concerned: the full target URL with the request
 * path (no query), or the route's targets when none was chosen.
 * @param headers Extra response fields (e.g. `Retry-After`).
 * @returns The response.
 *
 * @example Answer 401 from an auth hook
 * ```ts
 * import { proxyErrorResponse } from "@switchyard/core/gateway";
 * const res = proxyErrorResponse(401, "unauthorized", "A token is required", "https://api.example.com");
 * console.assert(res.status === 401);
 * ```
 */
export function proxyErrorResponse(
  status: number,
  code: string,
  message: string,
  target: string,
  headers?: Record<string, string>,
): Response {
  return new Response(JSON.stringify({ error: message, code, target }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * Turns a failed {@linkcode ProxyOutcome} into its response (504, 502 or 500).
 *
 * @param outcome A failed outcome.
 * @returns The JSON error response.
 *
 * @example A timed-out attempt becomes a 504
 * ```ts
 * import { failureResponse } from "@switchyard/core/gateway";
 * const res = failureResponse({
 *   ok: false,
 *   kind: "timeout",
 *   target: "http://127.0.0.1:9000/api",
 *   message: 'Upstream "http://127.0.0.1:9000/api" did not answer within 5000 ms',
 * });
 * const body = await res.json();
 * console.assert(res.status === 504 && body.code === "upstream_timeout");
 * console.assert(body.target === "http://127.0.0.1:9000/api");
 * ```
 */
export function failureResponse(outcome: ProxyOutcome & { ok: false }): Response {
  const [status, code] = FAILURES[outcome.kind];
  return proxyErrorResponse(status, code, outcome.message, outcome.target);
}

/** @internal Classifies a transport error (see `ProxyTransport`). */
export function classify(err: unknown): ProxyFailureKind {
  if (typeof err === "object" && err !== null && (err as Error).name === "TimeoutError") {
    return "timeout";
  }
  // fetch rejects with a TypeError for connection-level failures in every
  // runtime (refused, reset, DNS, TLS, malformed response); transports do too.
  return err instanceof TypeError ? "unreachable" : "error";
}

/** @internal Builds a failed outcome with its message. */
export function failure(
  target: string,
  kind: ProxyFailureKind,
  timeout: number,
  cause?: unknown,
): ProxyOutcome & { ok: false } {
  const message = kind === "timeout"
    ? `Upstream "${target}" did not answer within ${timeout} ms`
    : kind === "unreachable"
    ? `Upstream "${target}" is unreachable`
    : `Proxying to "${target}" failed`;
  return { ok: false, kind, target, message, cause };
}
