/**
 * {@linkcode TokenBucket}: a rate limit that allows bursts up to a capacity
 * and refills continuously.
 *
 * @module
 */

/** Options of {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per `window`. */
  limit: number;
  /** The window in milliseconds. @default {1000} */
  window?: number;
  /** The bucket size; it starts full. @default {limit} */
  burst?: number;
  /** A monotonic clock in milliseconds. @default {() => performance.now()} */
  now?: () => number;
}

/**
 * A token bucket. Refilling is computed when a token is taken; no timer runs.
 *
 * @example Two per second
 * ```ts
 * import { TokenBucket } from "@switchyard/core/gateway";
 * let t = 0;
 * const bucket = new TokenBucket({ limit: 2, now: () => t });
 * console.assert(bucket.take() === 0 && bucket.take() === 0);
 * console.assert(bucket.take() === 500); // wait 500 ms for the next token
 * t = 500;
 * console.assert(bucket.take() === 0);
 * ```
 */
export class TokenBucket {
  #capacity: number;
  #perMs: number;
  #tokens: number;
  #at: number;
  #now: () => number;

  /**
   * Creates a full bucket.
   *
   * @param options Limit, window, burst and clock.
   * @throws {RangeError} When `limit`, `window` or `burst` is not positive.
   */
  constructor(options: TokenBucketOptions) {
    const window = options.window ?? 1000;
    this.#capacity = options.burst ?? options.limit;
    if (!(options.limit > 0) || !(window > 0) || !(this.#capacity > 0)) {
      throw new RangeError(
        `Limit, window and burst must be > 0, got ${options.limit}, ${window} and ${this.#capacity}`,
      );
    }
    this.#perMs = options.limit / window;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.#capacity;
    this.#at = this.#now();
  }

  /** Whether the bucket is full (nothing to remember about it). */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.#capacity;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
  }

  /**
   * Takes one token.
   *
   * @returns 0 when a token was taken, otherwise the milliseconds until one is available.
   */
  take(): number {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.#tokens) / this.#perMs);
  }
}
