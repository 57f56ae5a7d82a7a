/**
 * The client's pending commands by id.
 *
 * @module
 */

/** A pending command's promise. */
export type Waiter = PromiseWithResolvers<unknown>;

/**
 * Pending commands by id. A connection's ids are consecutive, so the waiters
 * sit in an array from the oldest pending id on: adding and taking one is an
 * index, with no hashing; the array is compacted as the oldest settle.
 */
export class Pending {
  #slots: (Waiter | undefined)[] = [];
  /** Index of the oldest slot kept, and the id it belongs to. */
  #head = 0;
  #base = 1;

  /** Adds the waiter of the next id. */
  add(w: Waiter): void {
    this.#slots.push(w);
  }

  /** Removes and returns the waiter of `id`, if pending. */
  take(id: unknown): Waiter | undefined {
    if (typeof id !== "number") return undefined;
    const slots = this.#slots;
    const i = this.#head + (id - this.#base);
    if (!(i >= this.#head && i < slots.length)) return undefined; // also NaN, fractions below
    const w = slots[i];
    if (w === undefined) return undefined;
    slots[i] = undefined;
    let head = this.#head;
    if (i === head) {
      do head++; while (head < slots.length && slots[head] === undefined);
      this.#base += head - this.#head;
      if (head === slots.length) {
        slots.length = 0;
        head = 0;
      } else if (head >= 1024 && head * 2 >= slots.length) {
        this.#slots = slots.slice(head);
        head = 0;
      }
      this.#head = head;
    }
    return w;
  }

  /** Removes and returns every pending waiter. */
  clear(): Waiter[] {
    const all = this.#slots.slice(this.#head).filter((w) => w !== undefined);
    this.#base += this.#slots.length - this.#head;
    this.#slots = [];
    this.#head = 0;
    return all;
  }
}
