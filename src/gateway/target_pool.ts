/**
 * {@linkcode TargetPool}: chooses among a route's targets, round-robin or by
 * smooth weighted round-robin, skipping targets that are unavailable.
 *
 * @module
 */

/** A balancing strategy. */
export type BalanceStrategy = "round-robin" | "weighted";

/**
 * A set of targets with a balancing strategy. Choices are deterministic: with
 * weights 3 and 1, every 4 picks give 3 and 1 (smooth weighted round-robin,
 * as in nginx, so picks of one target are spread out, not bunched).
 *
 * @typeParam T The target type.
 *
 * @example Weighted choice
 * ```ts
 * import { TargetPool } from "@switchyard/core/gateway";
 * const pool = new TargetPool([{ target: "a", weight: 3 }, { target: "b", weight: 1 }], "weighted");
 * const picks = Array.from({ length: 4 }, () => pool.pick(() => true));
 * console.assert(picks.join("") === "aaba");
 * ```
 */
export class TargetPool<T> {
  #targets: T[];
  #weights: number[];
  #current: number[];
  #total: number;
  #weighted: boolean;
  #next = 0;

  /**
   * Creates a pool.
   *
   * @param targets The targets with their weights.
   * @param strategy `round-robin` ignores weights.
   * @throws {RangeError} When there is no target or a weight is not positive.
   */
  constructor(targets: readonly { target: T; weight: number }[], strategy: BalanceStrategy) {
    if (targets.length === 0) throw new RangeError("A target pool needs at least one target");
    if (targets.some((t) => !(t.weight > 0))) {
      throw new RangeError("Every target weight must be > 0");
    }
    this.#targets = targets.map((t) => t.target);
    this.#weights = targets.map((t) => t.weight);
    this.#current = targets.map(() => 0);
    this.#total = this.#weights.reduce((a, b) => a + b, 0);
    this.#weighted = strategy === "weighted" && targets.length > 1;
  }

  /** The number of targets. */
  get size(): number {
    return this.#targets.length;
  }

  /**
   * Picks the next target for which `available` returns `true`; `available` is
   * called on candidates in preference order and only until one accepts.
   *
   * @param available Whether a candidate may be used (e.g. its breaker allows it).
   * @param skip Targets to avoid when another one is available (e.g. already tried).
   * @returns The target, or `undefined` when none is available.
   */
  pick(available: (target: T) => boolean, skip?: ReadonlySet<T>): T | undefined {
    const n = this.#targets.length;
    if (n === 1) {
      const only = this.#targets[0]!;
      return available(only) ? only : undefined;
    }
    const order = this.#weighted ? this.#weightedOrder() : this.#roundRobinOrder();
    let fallback: T | undefined;
    for (const i of order) {
      const t = this.#targets[i]!;
      if (skip?.has(t)) {
        fallback ??= t;
        continue;
      }
      if (available(t)) return this.#commit(i, t);
    }
    if (fallback !== undefined && available(fallback)) {
      return this.#commit(this.#targets.indexOf(fallback), fallback);
    }
    return undefined;
  }

  #commit(i: number, t: T): T {
    if (this.#weighted) {
      for (let k = 0; k < this.#current.length; k++) this.#current[k]! += this.#weights[k]!;
      this.#current[i]! -= this.#total;
    } else {
      this.#next = (i + 1) % this.#targets.length;
    }
    return t;
  }

  #roundRobinOrder(): number[] {
    const n = this.#targets.length;
    return Array.from({ length: n }, (_, k) => (this.#next + k) % n);
  }

  #weightedOrder(): number[] {
    // Candidates by the current weight they would reach this round, best first.
    const score = this.#current.map((c, k) => c + this.#weights[k]!);
    return score.map((_, k) => k).sort((a, b) => score[b]! - score[a]! || a - b);
  }
}
