/**
 * Reconnect backoff: exponential, bounded and jittered.
 *
 * @module
 */

/** How a connection retries after its transport dropped. */
export interface ReconnectOptions {
  /** Delay before the first retry, in milliseconds. @default {100} */
  initialDelay?: number;
  /** Longest delay between two retries, in milliseconds. @default {5000} */
  maxDelay?: number;
  /** Factor applied to the delay after every failed attempt. @default {2} */
  multiplier?: number;
  /**
   * Share of the delay that is randomised (0 none, 1 "full jitter"), so many
   * clients dropped at once do not retry in lockstep. @default {0.5}
   */
  jitter?: number;
  /** Attempts in a row before the connection gives up. @default {20} */
  maxAttempts?: number;
}

/** {@linkcode ReconnectOptions} with every default filled in. */
export type ResolvedReconnectOptions = Required<ReconnectOptions>;

/** The defaults of {@linkcode ReconnectOptions}. */
export const DEFAULT_RECONNECT: Readonly<ResolvedReconnectOptions> = Object.freeze({
  initialDelay: 100,
  maxDelay: 5_000,
  multiplier: 2,
  jitter: 0.5,
  maxAttempts: 20,
});

/**
 * Fills in and checks reconnect options.
 *
 * @param options User options, or `false` to disable reconnects.
 * @returns The options; `maxAttempts` is 0 when reconnects are disabled.
 * @throws {RangeError} When a number is negative or not finite, `multiplier` is below 1 or `jitter` is outside 0..1.
 *
 * @example Disable reconnects
 * ```ts
 * import { resolveReconnect } from "./backoff.ts";
 * console.assert(resolveReconnect(false).maxAttempts === 0);
 * ```
 */
export function resolveReconnect(options?: ReconnectOptions | false): ResolvedReconnectOptions {
  if (options === false) return { ...DEFAULT_RECONNECT, maxAttempts: 0 };
  const out = { ...DEFAULT_RECONNECT, ...options };
  for (const [name, v] of Object.entries(out)) {
    if (typeof v !== "number" || !(v >= 0) || (!Number.isFinite(v) && name !== "maxAttempts")) {
      throw new RangeError(`Reconnect option "${name}" must be a number ≥ 0, got ${v}`);
    }
  }
  if (out.multiplier < 1) {
    throw new RangeError(`Reconnect option "multiplier" must be ≥ 1, got ${out.multiplier}`);
  }
  if (out.jitter > 1) {
    throw new RangeError(`Reconnect option "jitter" must be between 0 and 1, got ${out.jitter}`);
  }
  return out;
}

/**
 * The delay before retry number `attempt` (0 for the first retry):
 * `min(maxDelay, initialDelay · multiplier^attempt)`, of which a `jitter`
 * share is replaced by a random fraction. The result always lies in
 * `[(1 - jitter) · d, d]` where `d` is the capped delay.
 *
 * @param attempt Retries already made in a row, ≥ 0.
 * @param options Resolved options.
 * @param random A source of numbers in `[0, 1)`. @default {Math.random}
 * @returns Milliseconds to wait.
 *
 * @example Bounded growth
 * ```ts
 * import { backoffDelay, DEFAULT_RECONNECT } from "./backoff.ts";
 * const opts = { ...DEFAULT_RECONNECT, jitter: 0 };
 * console.assert(backoffDelay(0, opts) === 100);
 * console.assert(backoffDelay(50, opts) === 5000);
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: ResolvedReconnectOptions,
  random: () => number = Math.random,
): number {
  const raw = options.initialDelay * Math.pow(options.multiplier, Math.max(0, attempt));
  const capped = Math.min(options.maxDelay, Number.isFinite(raw) ? raw : options.maxDelay);
  return capped * (1 - options.jitter) + capped * options.jitter * random();
}
