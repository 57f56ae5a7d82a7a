/**
 * Silence detection for `/messages` connections, on both ends: one sweeping
 * timer per timeout value for every connection that uses it, never a timer
 * per connection or per message. A frame received costs one field write.
 *
 * The timer ticks every sixth of the timeout. A connection silent for two
 * ticks (at least a sixth of the timeout) is asked to speak (`ping`), again
 * after four; after six ticks (more than five sixths, at most the whole
 * timeout) it is given up (`lost`).
 *
 * @module
 */

/** A connection watched for silence. */
export interface Watched {
  /** Ticks since the peer was last heard; set to 0 on every frame received. */
  silent: number;
  /** Asks the peer for a frame. */
  ping(): void;
  /** The peer was silent for the whole timeout: it is no longer watched. */
  lost(): void;
}

/** Ticks per timeout. */
const TICKS = 6;

class Sweep {
  readonly timeout: number;
  readonly watched = new Set<Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(timeout: number) {
    this.timeout = timeout;
  }

  add(w: Watched): void {
    this.watched.add(w);
    this.#timer ??= setInterval(this.#tick, this.timeout / TICKS);
  }

  delete(w: Watched): void {
    if (!this.watched.delete(w) || this.watched.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    sweeps.delete(this.timeout);
  }

  #tick = (): void => {
    for (const w of [...this.watched]) {
      const s = ++w.silent;
      try {
        if (s >= TICKS) {
          this.delete(w);
          w.lost();
        } else if (s === 2 || s === 4) w.ping();
      } catch (err) {
        console.error(err);
      }
    }
  };
}

const sweeps = new Map<number, Sweep>();

/**
 * Watches `w` for silence of `timeout` ms (`Infinity`: not at all).
 *
 * @returns Stops watching it. Idempotent.
 */
export function watchSilence(w: Watched, timeout: number): () => void {
  if (timeout === Infinity) return () => {};
  let sweep = sweeps.get(timeout);
  if (sweep === undefined) sweeps.set(timeout, sweep = new Sweep(timeout));
  sweep.add(w);
  const s = sweep;
  return () => s.delete(w);
}

/**
 * Checks a heartbeat timeout option.
 *
 * @throws {RangeError} When it is not a number ≥ 60 ms (or `Infinity`).
 */
export function checkHeartbeat(timeout: number): number {
  if (!(timeout >= 60)) {
    throw new RangeError(`Heartbeat timeout must be at least 60 ms, got ${timeout}`);
  }
  return timeout;
}
