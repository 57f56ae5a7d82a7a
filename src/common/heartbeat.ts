/**
 * Notices peers that went silent, with one sweeping timer for all of them.
 * Each watched peer only flags that it heard something ({@linkcode
 * HeartbeatWatch.heard}, a boolean write per frame, no clock read, no timer);
 * a timer that runs every quarter of the timeout, while something is
 * watched, asks a quiet peer for a sign of life and gives up on a peer that
 * stayed silent for three sweeps in a row. A peer that went silent is
 * therefore noticed after ¾ to 1× the timeout.
 *
 * @module
 */

/** What a {@linkcode Heartbeat} calls back into for one peer. */
export interface HeartbeatPeer {
  /** Nothing was heard for a sweep: send a ping (the peer answers with a pong). */
  ping(): void;
  /** Nothing was heard for three sweeps: the peer is gone. The watch has stopped. */
  dead(): void;
}

/** One watched peer. */
export interface HeartbeatWatch {
  /** Something arrived from the peer. Cheap: call it on every frame. */
  heard(): void;
  /** Stops watching. Idempotent. */
  stop(): void;
}

class Entry implements HeartbeatWatch {
  /** Set by `heard()`, cleared by each sweep. */
  fresh = true;
  /** Sweeps in a row without a sign of life. */
  silent = 0;
  readonly peer: HeartbeatPeer;
  readonly owner: Heartbeat;
  constructor(peer: HeartbeatPeer, owner: Heartbeat) {
    this.peer = peer;
    this.owner = owner;
  }
  heard(): void {
    this.fresh = true;
  }
  stop(): void {
    this.owner.unwatch(this);
  }
}

/** Sweeps without a sign of life before a peer counts as gone. */
const SILENT_SWEEPS = 3;

/**
 * Watches peers for silence with one timer.
 *
 * @example Notice a silent peer
 * ```ts
 * import { Heartbeat } from "./heartbeat.ts";
 * const heartbeat = new Heartbeat(40);
 * const gone = new Promise<string>((resolve) => {
 *   heartbeat.watch({ ping() {}, dead: () => resolve("gone") });
 * });
 * console.assert((await gone) === "gone");
 * ```
 */
export class Heartbeat {
  /** Milliseconds of silence after which a peer is gone. */
  readonly timeout: number;
  #entries = new Set<Entry>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param timeout Milliseconds of silence after which a peer is gone, > 0.
   * @throws {RangeError} When `timeout` is not a finite number > 0.
   */
  constructor(timeout: number) {
    if (!(timeout > 0) || !Number.isFinite(timeout)) {
      throw new RangeError(`Heartbeat timeout must be a finite number > 0, got ${timeout}`);
    }
    this.timeout = timeout;
  }

  /** Peers watched. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts watching a peer; it counts as heard now.
   *
   * @param peer How to ping it and what to do when it is gone.
   * @returns The watch.
   */
  watch(peer: HeartbeatPeer): HeartbeatWatch {
    const entry = new Entry(peer, this);
    this.#entries.add(entry);
    this.#timer ??= setInterval(this.#sweep, Math.max(1, Math.floor(this.timeout / 4)));
    return entry;
  }

  /** @internal Called by a watch when it stops. */
  unwatch(entry: Entry): void {
    if (!this.#entries.delete(entry) || this.#entries.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep = (): void => {
    const dead: Entry[] = [];
    const quiet: Entry[] = [];
    for (const e of this.#entries) {
      if (e.fresh) {
        e.fresh = false;
        e.silent = 0;
      } else if (++e.silent >= SILENT_SWEEPS) dead.push(e);
      else quiet.push(e);
    }
    for (const e of dead) e.stop();
    for (const e of quiet) call(() => e.peer.ping());
    for (const e of dead) call(() => e.peer.dead());
  };
}

function call(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

const shared = new Map<number, Heartbeat>();

/**
 * The process-wide heartbeat for a timeout: everything watched with the same
 * timeout shares one timer.
 *
 * @param timeout Milliseconds, > 0.
 * @returns The heartbeat.
 * @throws {RangeError} When `timeout` is not a finite number > 0.
 */
export function heartbeatFor(timeout: number): Heartbeat {
  let h = shared.get(timeout);
  if (!h) shared.set(timeout, h = new Heartbeat(timeout));
  return h;
}
