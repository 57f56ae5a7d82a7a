/**
 * `Activity`: what an actor is doing right now: how many actions, hooks and
 * raw handlers run, when it was last busy (for sleep), and a way to wait
 * until the running work is done (for shutdown).
 *
 * @module
 */
import { deadlines } from "../common/deadlines.ts";

/** The in-flight work of one actor. */
export class Activity {
  /** Actions, hooks and raw handlers running now. */
  running = 0;
  /** When work last ended (or began), ms since the epoch. */
  lastActive: number = Date.now();
  #drained: (() => void) | undefined;

  /** Work starts. */
  begin(): void {
    this.running++;
  }

  /** Work ends: counts as activity, and wakes a pending {@linkcode Activity.drain}. */
  end(): void {
    this.lastActive = Date.now();
    if (--this.running === 0) this.#drained?.();
  }

  /** Marks activity without work (keeps the actor awake). */
  touch(): void {
    this.lastActive = Date.now();
  }

  /**
   * Resolves once nothing runs, or after `ms`, whichever comes first.
   *
   * @param ms The longest wait.
   * @returns When the work drained or the wait ended.
   */
  drain(ms: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        d.cancel();
        this.#drained = undefined;
        resolve();
      };
      const d = deadlines.add(ms, done);
      this.#drained = done;
    });
  }
}
