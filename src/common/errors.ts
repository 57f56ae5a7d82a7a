/**
 * The one error family of switchyard. Every error has a stable snake_case
 * `code`, an HTTP `status`, a `public` flag and safe `metadata`. Errors cross
 * the wire as `{ code, message, metadata }`: callers match on `code`, never on
 * `instanceof`.
 *
 * @module
 */

/** Options of {@linkcode SwitchyardError}. */
export interface SwitchyardErrorOptions {
  /** HTTP status used when the error answers a request. @default {500} */
  status?: number;
  /** Whether the message and metadata may be shown to a remote caller. @default {false} */
  public?: boolean;
  /** Safe, serialisable details sent with public errors. */
  metadata?: unknown;
  /** The underlying error, kept for logs only. */
  cause?: unknown;
}

/**
 * Base class of every coded error switchyard throws.
 *
 * @example Throw and match on the code
 * ```ts
 * import { SwitchyardError } from "@switchyard/core";
 * const err = new SwitchyardError("actor_not_found", 'Actor "x" was not found', { status: 404, public: true });
 * console.assert(err.code === "actor_not_found" && err.status === 404);
 * ```
 */
export class SwitchyardError extends Error {
  /** Stable snake_case code, e.g. `actor_not_found`. */
  readonly code: string;
  /** HTTP status this error maps to. */
  readonly status: number;
  /** Whether message and metadata reach remote callers unmasked. */
  readonly public: boolean;
  /** Safe, serialisable details. */
  readonly metadata: unknown;

  /**
   * Creates a coded error.
   *
   * @param code Stable snake_case code.
   * @param message Sentence-case message without a trailing period.
   * @param options Status, public flag, metadata and cause.
   */
  constructor(code: string, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SwitchyardError";
    this.code = code;
    this.status = options.status ?? 500;
    this.public = options.public ?? false;
    this.metadata = options.metadata;
  }
}

/** Options of {@linkcode UserError}. */
export interface UserErrorOptions {
  /** Stable code the client matches on. @default {"user_error"} */
  code?: string;
  /** Safe, serialisable details sent to the client. */
  metadata?: unknown;
  /** HTTP status. @default {400} */
  status?: number;
}

/**
 * An error an action throws on purpose: its code, message and metadata reach
 * the client unchanged.
 *
 * @example Reject an action with a code
 * ```ts
 * import { UserError } from "@switchyard/core";
 * const err = new UserError("Balance too low", { code: "insufficient_funds", metadata: { balance: 3 } });
 * console.assert(err.code === "insufficient_funds" && err.public);
 * ```
 */
export class UserError extends SwitchyardError {
  /**
   * Creates a user error.
   *
   * @param message Message shown to the caller.
   * @param options Code, metadata and status.
   */
  constructor(message: string, options: UserErrorOptions = {}) {
    super(options.code ?? "user_error", message, {
      status: options.status ?? 400,
      public: true,
      metadata: options.metadata,
    });
    this.name = "UserError";
  }
}

/** The wire form of an error. */
export interface ErrorBody {
  /** Stable snake_case code. */
  code: string;
  /** Human-readable message (masked for internal errors). */
  message: string;
  /** Safe details, present only for public errors. */
  metadata?: unknown;
}

/**
 * Builds a public, coded error. Shorthand used throughout the library.
 *
 * @param code Stable snake_case code.
 * @param status HTTP status.
 * @param message Sentence-case message.
 * @param metadata Safe details.
 * @returns The error, ready to throw.
 *
 * @example A coded error that reaches the caller
 * ```ts
 * import { publicError, SwitchyardError } from "@switchyard/core/driver";
 * const err = publicError("quota_exceeded", 429, 'Quota of "uploads" is used up', { limit: 10 });
 * console.assert(err instanceof SwitchyardError && err.public);
 * console.assert(err.code === "quota_exceeded" && err.status === 429);
 * ```
 */
export function publicError(
  code: string,
  status: number,
  message: string,
  metadata?: unknown,
): SwitchyardError {
  return new SwitchyardError(code, message, { status, public: true, metadata });
}

/**
 * Turns any thrown value into its wire form. Public errors keep their code,
 * message and metadata; everything else becomes `internal_error` with a
 * generic message, so no internal detail leaks.
 *
 * @param err Anything that was thrown.
 * @returns The body to send and the HTTP status.
 */
export function toErrorBody(err: unknown): { body: ErrorBody; status: number } {
  if (err instanceof SwitchyardError && err.public) {
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.metadata !== undefined) body.metadata = err.metadata;
    return { body, status: err.status };
  }
  return { body: { code: "internal_error", message: "Internal error" }, status: 500 };
}

/**
 * Rebuilds an error received over the wire (client side).
 *
 * @param body The received `{ code, message, metadata }`.
 * @param status HTTP status, when known.
 * @returns A public {@linkcode SwitchyardError} with the same code.
 */
export function fromErrorBody(body: unknown, status = 500): SwitchyardError {
  const b = (body ?? {}) as Partial<ErrorBody>;
  const code = typeof b.code === "string" ? b.code : "internal_error";
  const message = typeof b.message === "string" ? b.message : "Internal error";
  return new SwitchyardError(code, message, { status, public: true, metadata: b.metadata });
}
