/**
 * A bounded, serial mailbox: one per registered (or waking) participant.
 *
 * @module
 */
import { type Deadline, deadlines } from "../common/deadlines.ts";
import type { SwitchyardError } from "../common/errors.ts";
import { type ChannelEnd, FULL } from "./_channel.ts";
import {
  actorStopped,
  channelNotFound,
  channelRejected,
  handlerFailed,
  requestTimedOut,
} from "./_errors.ts";
import type { MessageHandlers } from "./types.ts";

/** Envelope kinds. */
export const MESSAGE = 0, REQUEST = 1, OPEN = 2, CHANNEL_MESSAGE = 3, CHANNEL_CLOSE = 4;

/**
 * Requests with the same timeout issued in the same synchronous run share one
 * entry of the shared deadline sweeper: cheaper than one entry each, and
 * just as exact (they started within the same tick).
 */
export class DeadlineBatch {
  /** Replies not yet settled. */
  live = 0;
  readonly items: Envelope[] = [];
  deadline: Deadline | null = null;
  constructor(readonly timeout: number) {}

  expire(): void {
    for (const p of this.items) if (!p.done) p.fail(requestTimedOut(p.target, this.timeout));
  }
}

/** Groups request deadlines into {@linkcode DeadlineBatch}es, one per timeout per tick. */
export class DeadlineBatcher {
  #open = new Map<number, DeadlineBatch>();
  #closing = false;
  #close = (): void => {
    this.#closing = false;
    this.#open.clear();
  };

  /** Arms `timeout` ms for `p`. */
  add(p: Envelope, timeout: number): void {
    let b = this.#open.get(timeout);
    if (b === undefined) {
      const batch = b = new DeadlineBatch(timeout);
      batch.deadline = deadlines.add(timeout, () => batch.expire());
      this.#open.set(timeout, b);
      if (!this.#closing) {
        this.#closing = true;
        queueMicrotask(this.#close);
      }
    }
    b.items.push(p);
    b.live++;
    p.batch = b;
  }
}

/**
 * One queued item. Requests and channel opens are also their own reply
 * slot: it settles once and releases its deadline.
 */
export class Envelope {
  done = false;
  batch: DeadlineBatch | null = null;
  constructor(
    readonly kind: number,
    readonly from: string,
    readonly data: unknown,
    readonly end: ChannelEnd | null,
    readonly target: string,
    readonly resolve: ((value: never) => void) | null,
    readonly reject: ((error: unknown) => void) | null,
  ) {}

  ok(value: unknown): void {
    if (this.done) return;
    this.#settle();
    (this.resolve as (value: unknown) => void)(value);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.#settle();
    this.reject!(error);
  }

  #settle(): void {
    this.done = true;
    const b = this.batch;
    if (b !== null && --b.live === 0) b.deadline!.cancel();
  }
}

/** What a mailbox needs from its router. */
export interface MailboxHost {
  /** Reports a one-way message that could not be handled. */
  deadLetter(target: string, env: Envelope, error: SwitchyardError): void;
  /** Finishes an `onChannelOpen` that returned `accepted`. */
  opened(env: Envelope, accepted: unknown): void;
  /** Reports a failed close hook (nothing to reply to). */
  report(error: SwitchyardError): void;
}

type Thenable = PromiseLike<unknown>;

function isThenable(v: unknown): v is Thenable {
  return v !== null && (typeof v === "object" || typeof v === "function") &&
    typeof (v as Thenable).then === "function";
}

/** A participant's queue. `handlers === null` while the participant wakes. */
export class Mailbox {
  #queue: (Envelope | undefined)[] = [];
  #head = 0;
  #scheduled = false;
  #running: Envelope | null = null;
  stopped = false;

  constructor(
    readonly id: string,
    readonly capacity: number,
    readonly host: MailboxHost,
    public handlers: MessageHandlers | null,
    public serial: boolean,
  ) {}

  /** Queued, not yet started. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  /** Enqueues unless full; `force` ignores the bound (closes must arrive). */
  push(env: Envelope, force = false): boolean {
    if (!force && this.#queue.length - this.#head >= this.capacity) return false;
    this.#queue.push(env);
    if (!this.#scheduled && this.#running === null && this.handlers !== null) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
    return true;
  }

  /** Sets the handlers of a waking participant and starts draining. */
  activate(handlers: MessageHandlers, serial: boolean): void {
    this.handlers = handlers;
    this.serial = serial;
    if (this.size > 0 && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }

  /** Stops: fails queued and running replies, dead-letters queued messages. */
  stop(error: SwitchyardError = actorStopped(this.id)): void {
    if (this.stopped) return;
    this.stopped = true;
    this.handlers = null;
    if (this.#running?.reject) this.#running.fail(error);
    this.#running = null;
    const q = this.#queue;
    for (let i = this.#head; i < q.length; i++) {
      const env = q[i]!;
      if (env.reject !== null) env.fail(error);
      else if (env.kind === MESSAGE || env.kind === CHANNEL_MESSAGE) {
        this.host.deadLetter(this.id, env, error);
      }
    }
    this.#queue = [];
    this.#head = 0;
  }

  #drain = (): void => {
    // `#scheduled` stays true while draining so that pushes made by handlers
    // do not schedule a second drain.
    const env = this.#next();
    this.#scheduled = false;
    if (env !== null) this.#serve(env.env, env.wait);
  };

  /** Runs queued envelopes until one returns a promise to wait for (serial mode). */
  #next(): { env: Envelope; wait: Thenable } | null {
    const q = this.#queue;
    while (this.#head < q.length && this.handlers !== null) {
      const env = q[this.#head]!;
      q[this.#head++] = undefined;
      const wait = this.#run(env, this.handlers);
      if (wait !== undefined) {
        this.#running = env;
        return { env, wait };
      }
    }
    if (this.stopped) return null;
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
    }
    return null;
  }

  /** Awaits one handler at a time, then keeps draining from the same loop. */
  async #serve(env: Envelope, wait: Thenable): Promise<void> {
    for (;;) {
      try {
        this.#finish(env, false, await wait);
      } catch (err) {
        this.#finish(env, true, err);
      }
      this.#running = null;
      if (this.stopped || this.handlers === null) return;
      const q = this.#queue;
      if (this.#head > 1024 && this.#head * 2 > q.length) {
        this.#queue = q.slice(this.#head);
        this.#head = 0;
      }
      const next = this.#next();
      if (next === null) return;
      env = next.env;
      wait = next.wait;
    }
  }

  /** Settles an envelope whose handler returned a promise. */
  #finish(env: Envelope, failed: boolean, value: unknown): void {
    switch (env.kind) {
      case MESSAGE:
        if (failed) this.host.deadLetter(this.id, env, handlerFailed(this.id, "onMessage", value));
        return;
      case REQUEST:
        if (failed) env.fail(handlerFailed(this.id, "onRequest", value));
        else env.ok(value);
        return;
      case OPEN:
        if (!failed) return this.host.opened(env, value);
        env.end!.state.closed = true;
        env.fail(handlerFailed(this.id, "onChannelOpen", value));
        return;
      case CHANNEL_MESSAGE:
        if (failed) {
          this.host.deadLetter(this.id, env, handlerFailed(this.id, "onChannelMessage", value));
        }
        return;
      default:
        if (failed) this.host.report(handlerFailed(this.id, "onChannelClose", value));
    }
  }

  /**
   * Runs one envelope. A promise from a hook is returned for the caller to
   * wait on in serial mode; otherwise its outcome is attached here.
   */
  #run(env: Envelope, h: MessageHandlers): Thenable | undefined {
    let r: unknown;
    try {
      switch (env.kind) {
        case MESSAGE:
          if (h.onMessage === undefined) {
            this.host.deadLetter(this.id, env, handlerFailed(this.id, "onMessage"));
            return undefined;
          }
          r = h.onMessage(env.data, env.from);
          break;
        case REQUEST:
          if (env.done) return undefined; // timed out while queued
          if (h.onRequest === undefined) {
            env.fail(handlerFailed(this.id, "onRequest"));
            return undefined;
          }
          r = h.onRequest(env.data, env.from);
          if (!isThenable(r)) {
            env.ok(r);
            return undefined;
          }
          break;
        case OPEN:
          if (env.done || h.onChannelOpen === undefined) {
            env.end!.state.closed = true; // timed out while queued, or refused
            env.fail(channelRejected(this.id));
            return undefined;
          }
          r = h.onChannelOpen(env.end!, env.data);
          if (!isThenable(r)) {
            this.host.opened(env, r);
            return undefined;
          }
          break;
        case CHANNEL_MESSAGE:
          r = env.end!.receive(env.data, h);
          if (r === FULL) {
            this.host.deadLetter(this.id, env, channelNotFound(env.end!.id));
            return undefined;
          }
          break;
        default:
          r = env.end!.closedByPeer(h);
      }
    } catch (err) {
      this.#finish(env, true, err);
      return undefined;
    }
    if (!isThenable(r)) return undefined;
    if (this.serial) return r;
    r.then((v) => this.#finish(env, false, v), (err) => this.#finish(env, true, err));
    return undefined;
  }
}
