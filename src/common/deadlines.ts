/**
 * One shared timer for many deadlines. A `setTimeout` per request is costly on
 * Deno; here deadlines with the same duration share a FIFO
 * queue (appended in deadline order), and a single timer is armed for the
 * earliest live deadline. Cancelling is O(1) (a flag); queues are compacted
 * when cancelled entries outnumber live ones. The timer is cleared whenever no
 * deadline is live, so it never keeps a process alive or trips test sanitizers.
 *
 * This file stands in for `@std/async` deadline helpers (JSR is unreachable).
 *
 * @module
 */

/** A pending deadline. */
export interface Deadline {
  /** Cancels the deadline; its callback will not run. Idempotent. */
  cancel(): void;
}

class Entry implements Deadline {
  readonly at: number;
  readonly fire: () => void;
  readonly queue: Queue;
  readonly owner: DeadlineSweeper;
  done = false;
  // No parameter properties: Node's type stripping rejects them.
  constructor(at: number, fire: () => void, queue: Queue, owner: DeadlineSweeper) {
    this.at = at;
    this.fire = fire;
    this.queue = queue;
    this.owner = owner;
  }
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.queue.cancelled++;
    this.owner.settled(this.queue);
  }
}

interface Queue {
  items: Entry[];
  head: number;
  cancelled: number;
}

/**
 * Runs callbacks after their timeouts using one timer in all.
 *
 * @example Expire a request
 * ```ts
 * import { DeadlineSweeper } from "./deadlines.ts";
 * const sweeper = new DeadlineSweeper();
 * const expired = new Promise<string>((resolve) => sweeper.add(5, () => resolve("expired")));
 * console.assert((await expired) === "expired");
 * ```
 */
export class DeadlineSweeper {
  #queues = new Map<number, Queue>();
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  /**
   * Gives every deadline a timer of its own instead of sharing one. For hosts
   * where a timer belongs to the request or object that set it (Cloudflare
   * Workers and Durable Objects: a shared timer would run one object's
   * callbacks in another's context). Set by the Cloudflare driver.
   * {@linkcode DeadlineSweeper.size} does not count these deadlines.
   * @default {false}
   */
  ownTimers = false;

  /** Number of deadlines that have neither fired nor been cancelled. */
  get size(): number {
    return this.#live;
  }

  /**
   * Schedules `onExpire` to run once, `timeoutMs` from now.
   *
   * @param timeoutMs Milliseconds, ≥ 0.
   * @param onExpire Called at most once; exceptions are reported asynchronously.
   * @returns A handle whose `cancel()` stops the callback.
   * @throws {RangeError} When `timeoutMs` is negative or not finite.
   */
  add(timeoutMs: number, onExpire: () => void): Deadline {
    if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError(`Timeout must be a finite number ≥ 0, got ${timeoutMs}`);
    }
    if (this.ownTimers) {
      const timer = setTimeout(onExpire, timeoutMs);
      return { cancel: () => clearTimeout(timer) };
    }
    let q = this.#queues.get(timeoutMs);
    if (!q) this.#queues.set(timeoutMs, q = { items: [], head: 0, cancelled: 0 });
    const at = performance.now() + timeoutMs;
    const entry = new Entry(at, onExpire, q, this);
    q.items.push(entry);
    this.#live++;
    if (at < this.#timerAt) this.#arm(at);
    return entry;
  }

  /** @internal Called by an entry when it is cancelled. */
  settled(q: Queue): void {
    this.#live--;
    if (this.#live === 0) {
      this.#disarm();
      this.#queues.clear();
      return;
    }
    const pending = q.items.length - q.head;
    if (q.cancelled > 256 && q.cancelled * 2 > pending) {
      q.items = q.items.slice(q.head).filter((e) => !e.done);
      q.head = 0;
      q.cancelled = 0;
    }
  }

  #arm(at: number): void {
    this.#disarm();
    this.#timerAt = at;
    const delay = Math.max(0, at - performance.now());
    this.#timer = setTimeout(() => this.#sweep(), Math.ceil(delay));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    const due: Entry[] = [];
    for (const [key, q] of this.#queues) {
      while (q.head < q.items.length) {
        const e = q.items[q.head]!;
        if (e.done) {
          q.head++;
          q.cancelled--;
          continue;
        }
        if (e.at > now) {
          next = Math.min(next, e.at);
          break;
        }
        q.head++;
        e.done = true;
        this.#live--;
        due.push(e);
      }
      if (q.head === q.items.length) this.#queues.delete(key);
      else if (q.head > 1024 && q.head * 2 > q.items.length) {
        q.items = q.items.slice(q.head);
        q.head = 0;
      }
    }
    if (next !== Infinity && this.#live > 0) this.#arm(next);
    for (const e of due) {
      try {
        e.fire();
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** The process-wide sweeper shared by actions, requests and proxies. */
export const deadlines: DeadlineSweeper = new DeadlineSweeper();
