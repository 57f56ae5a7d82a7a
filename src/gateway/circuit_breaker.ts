/**
 * {@linkcode CircuitBreaker}: consecutive failures open it, an open breaker
 * refuses at once, and after a pause one probe decides whether it closes.
 *
 * @module
 */

/** The state of a {@linkcode CircuitBreaker}. */
export type CircuitState = "closed" | "open" | "half-open";

/** Options of {@linkcode CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default {5} */
  failures?: number;
  /** Milliseconds an open breaker waits before allowing one probe. @default {30000} */
  resetAfter?: number;
  /** A monotonic clock in milliseconds. @default {() => performance.now()} */
  now?: () => number;
}

/**
 * A circuit breaker for one target. Not tied to any timer: time is read when
 * a request asks to pass.
 *
 * @example Open after two failures, close after a good probe
 * ```ts
 * import { CircuitBreaker } from "@switchyard/core/gateway";
 * let t = 0;
 * const b = new CircuitBreaker({ failures: 2, resetAfter: 100, now: () => t });
 * b.record(false); b.record(false);
 * console.assert(b.state === "open" && !b.allow());
 * t = 100;
 * console.assert(b.allow() && b.state === "half-open" && !b.allow());
 * b.record(true);
 * console.assert(b.state === "closed");
 * ```
 */
export class CircuitBreaker {
  #threshold: number;
  #resetAfter: number;
  #now: () => number;
  #state: CircuitState = "closed";
  #failures = 0;
  #openedAt = 0;

  /**
   * Creates a closed breaker.
   *
   * @param options Threshold, pause and clock.
   * @throws {RangeError} When `failures` < 1 or `resetAfter` < 0.
   */
  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.failures ?? 5;
    this.#resetAfter = options.resetAfter ?? 30_000;
    if (!(this.#threshold >= 1) || !(this.#resetAfter >= 0)) {
      throw new RangeError(
        `Failures must be ≥ 1 and resetAfter ≥ 0, got ${this.#threshold} and ${this.#resetAfter}`,
      );
    }
    this.#now = options.now ?? (() => performance.now());
  }

  /** The current state (an open breaker reports `open` until a probe is let through). */
  get state(): CircuitState {
    return this.#state;
  }

  /**
   * Asks whether a request may go to the target. On an open breaker whose
   * pause has passed, the first caller becomes the probe (`half-open`) and
   * everyone else is refused until the probe is recorded.
   *
   * @returns `true` when the request may be sent; it must then be recorded.
   */
  allow(): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.#resetAfter) {
      this.#state = "half-open";
      return true;
    }
    return false;
  }

  /**
   * Records the result of a request that {@linkcode CircuitBreaker.prototype.allow} let through.
   *
   * @param ok Whether the target answered well.
   */
  record(ok: boolean): void {
    if (ok) {
      this.#failures = 0;
      this.#state = "closed";
      return;
    }
    this.#failures++;
    if (this.#state === "half-open" || this.#failures >= this.#threshold) {
      this.#state = "open";
      this.#openedAt = this.#now();
    }
  }
}
