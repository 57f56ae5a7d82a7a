/**
 * A bounded, serial mailbox: one per registered (or waking) participant.
 *
 * Items are stored flat in a list of chunks (see `./_mailbox_chunk.ts`);
 * hooks run one at a time (unless `serial` is off), each bounded by
 * `hookTimeout`.
 *
 * @module
 */
import { type Deadline, deadlines } from "../common/deadlines.ts";
import type { SwitchyardError } from "../common/errors.ts";
import { isThenable } from "../common/thenable.ts";
import type { ChannelEnd, EndList } from "./_channel.ts";
import { actorStopped, handlerFailed, handlerTimedOut } from "./messaging_errors.ts";
import {
  CHANNEL_MESSAGE,
  failReply,
  finish,
  HOOKS,
  kindOf,
  lost,
  MESSAGE,
  OPEN,
  REQUEST,
  run,
} from "./_mailbox_items.ts";
import { Chunk, FIRST, MAX } from "./_mailbox_chunk.ts";
import type { Reply } from "./_reply.ts";
import type { DeadLetter, MessageHandlers } from "./types.ts";

export { CLOSE } from "./_mailbox_items.ts";

/** What a mailbox needs from its router. */
export interface MailboxHost {
  /** Reports a one-way message that could not be handled. */
  deadLetter(letter: DeadLetter): void;
  /** Finishes an `onChannelOpen` of `target` that returned `accepted`. */
  opened(reply: Reply, accepted: unknown, target: Mailbox): void;
  /** Reports a failed close hook (nothing to reply to). */
  report(error: SwitchyardError): void;
}

type Thenable = PromiseLike<unknown>;

function ignore(): void {}

/** What a hook's promise is rejected with when it is abandoned. */
const ABANDONED: unique symbol = Symbol("abandoned");

/** A participant's queue. `handlers === null` while the participant wakes. */
export class Mailbox {
  readonly id: string;
  readonly capacity: number;
  readonly host: MailboxHost;
  handlers: MessageHandlers | null;
  serial: boolean;
  /**
   * Longest a hook's promise holds the mailbox (serial mode), in ms: past it
   * the hook is abandoned and the next item runs.
   */
  hookTimeout = Infinity;
  stopped = false;
  /** Open channels with an end owned by this participant (closed on stop). */
  channels: EndList | null = null;
  /** Head chunk and its next slot. */
  #hc = new Chunk(FIRST);
  #hi = 0;
  /** Tail chunk and its next free slot. */
  #tc = this.#hc;
  #ti = 0;
  #spare: Chunk | null = null;
  #size = 0;
  /** Sender of the last message enqueued, and of the last dequeued. */
  #pushFrom: string | null = null;
  #takeFrom = "";
  /** A drain is scheduled or running (it clears this when the queue is empty). */
  #active = false;
  /** Kind of the item whose hook's promise is awaited, or -1; its reply for requests and opens. */
  #rKind = -1;
  #rReply: Reply | null = null;
  /** Deadline of the hook whose promise is awaited, when `hookTimeout` is finite. */
  #rDeadline: Deadline | null = null;
  /** Tag of the item `#take` dequeued last, if not a one-way message. */
  #tag: unknown = undefined;
  /** Settles once a waking participant is known: see {@linkcode known}. */
  #known: PromiseWithResolvers<void> | null = null;

  constructor(
    id: string,
    capacity: number,
    host: MailboxHost,
    handlers: MessageHandlers | null,
    serial: boolean,
  ) {
    this.id = id;
    this.capacity = capacity;
    this.host = host;
    this.handlers = handlers;
    this.serial = serial;
  }

  /** Queued, not yet started. */
  get size(): number {
    return this.#size;
  }

  /**
   * For a waking participant: resolves once it is registered, rejects with
   * the error that stopped its mailbox first (`actor_not_found` when it does
   * not exist). Already handled, so nobody has to listen.
   */
  known(): Promise<void> {
    let k = this.#known;
    if (k === null) {
      k = this.#known = Promise.withResolvers<void>();
      k.promise.catch(ignore);
    }
    return k.promise;
  }

  /**
   * Enqueues a one-way message unless full.
   *
   * @returns `false` when full.
   */
  message(from: string, data: unknown): boolean {
    const size = this.#size;
    if (size >= this.capacity) return false;
    let tc = this.#tc, ti = this.#ti;
    if (ti === tc.cap) {
      tc = this.#grow(tc);
      ti = 0;
    }
    if (from !== this.#pushFrom) {
      this.#pushFrom = from;
      tc.tags()[ti] = from;
    }
    tc.s[ti] = data; // appends while the array grows, then reuses its slots
    this.#ti = ti + 1;
    this.#size = size + 1;
    if (!this.#active && this.handlers !== null) {
      this.#active = true;
      queueMicrotask(this.#drain);
    }
    return true;
  }

  /**
   * Enqueues a request, open, channel message or close unless full; `force`
   * ignores the bound (closes must arrive).
   *
   * @returns `false` when full.
   */
  push(tag: Reply | ChannelEnd, slot: unknown, force = false): boolean {
    const size = this.#size;
    if (size >= this.capacity && !force) return false;
    let tc = this.#tc, ti = this.#ti;
    if (ti === tc.cap) {
      tc = this.#grow(tc);
      ti = 0;
    }
    tc.tags()[ti] = tag;
    tc.s[ti] = slot;
    this.#ti = ti + 1;
    this.#size = size + 1;
    if (!this.#active && this.handlers !== null) {
      this.#active = true;
      queueMicrotask(this.#drain);
    }
    return true;
  }

  /** Appends a chunk after the full tail `tc`. */
  #grow(tc: Chunk): Chunk {
    let c = this.#spare;
    if (c === null) c = new Chunk(tc.cap < MAX ? tc.cap * 2 : MAX);
    else this.#spare = null;
    tc.next = c;
    this.#tc = c;
    return c;
  }

  /** Sets the handlers of a waking participant and starts draining. */
  activate(handlers: MessageHandlers, serial: boolean): void {
    this.handlers = handlers;
    this.serial = serial;
    const k = this.#known;
    if (k !== null) {
      this.#known = null;
      k.resolve();
    }
    if (this.#size > 0 && !this.#active) {
      this.#active = true;
      queueMicrotask(this.#drain);
    }
  }

  /** Stops: fails queued and running replies, dead-letters queued messages. */
  stop(error: SwitchyardError = actorStopped(this.id)): void {
    if (this.stopped) return;
    this.stopped = true;
    this.handlers = null;
    const k = this.#known;
    if (k !== null) {
      this.#known = null;
      k.reject(error);
    }
    if (this.#rReply !== null) failReply(this.#rReply, error);
    this.#rDeadline?.cancel();
    this.#rDeadline = null;
    this.#rKind = -1;
    this.#rReply = null;
    let from = this.#takeFrom;
    for (let c: Chunk | null = this.#hc, i = this.#hi; c !== null; c = c.next, i = 0) {
      const s = c.s, t = c.t;
      const last = c === this.#tc ? this.#ti : c.cap;
      for (; i < last; i++) {
        let tag: unknown = undefined;
        if (t !== null && t[i] !== undefined) {
          tag = t[i];
          if (typeof tag === "string") {
            from = tag;
            tag = undefined;
          }
        }
        const kind = kindOf(tag, s[i]);
        if (kind === REQUEST || kind === OPEN) failReply(tag as Reply, error);
        else if (kind === MESSAGE) lost(this, MESSAGE, from, s[i], null, error);
        else if (kind === CHANNEL_MESSAGE) {
          const end = tag as ChannelEnd;
          lost(this, CHANNEL_MESSAGE, end.peer, s[i], end, error);
        }
      }
      if (c === this.#tc) break;
    }
    this.#hc = this.#tc = new Chunk(FIRST);
    this.#hi = this.#ti = this.#size = 0;
    this.#spare = null;
    this.#pushFrom = null;
  }

  #drain = (): void => {
    void this.#serve();
  };

  /**
   * The drain loop, one per mailbox while it has work: runs queued items
   * synchronously while their hooks return non-promises; in serial mode it
   * awaits a returned promise before the next item (the item stays in its
   * locals; `#rKind`/`#rReply` only tell `stop` what is running). One-way
   * messages, the common case, are run inline. A single async function keeps
   * the whole loop in one place for the JIT, with no closure or promise of
   * its own per message.
   */
  async #serve(): Promise<void> {
    for (;;) {
      const h = this.handlers;
      if (h === null || this.#size === 0) {
        this.#active = false;
        this.#tag = undefined; // keep nothing alive while idle
        return;
      }
      const slot = this.#take();
      let tag = this.#tag;
      let kind: number;
      let r: unknown;
      if (tag === undefined) {
        kind = MESSAGE;
        tag = this.#takeFrom;
        try {
          r = h.onMessage!(slot, tag as string);
        } catch (err) {
          // No hook (calling it threw a TypeError), or the hook threw.
          const error = h.onMessage === undefined ? undefined : err;
          lost(
            this,
            MESSAGE,
            tag as string,
            slot,
            null,
            handlerFailed(this.id, "onMessage", error),
          );
          continue;
        }
      } else {
        kind = kindOf(tag, slot);
        r = run(this, kind, tag, slot, h);
      }
      if (r === undefined || !isThenable(r)) continue;
      if (!this.serial) {
        this.#detach(kind, tag, slot, r);
        continue;
      }
      this.#rKind = kind;
      if (kind !== MESSAGE) this.#rReply = kind === REQUEST || kind === OPEN ? tag as Reply : null;
      let failed = false;
      let value: unknown;
      try {
        value = await (this.hookTimeout === Infinity ? r : this.#bounded(r as Thenable));
      } catch (err) {
        failed = true;
        value = err;
      }
      if (this.#rKind < 0) return; // stopped meanwhile: its reply has failed already
      this.#rKind = -1;
      this.#rDeadline = null;
      if (value === ABANDONED) {
        this.#rReply = null;
        this.#abandon(kind, tag, slot);
        continue;
      }
      if (failed || kind !== MESSAGE) {
        this.#rReply = null;
        finish(this, kind, tag, slot, failed, value);
      }
    }
  }

  /**
   * Dequeues the head item (the queue is not empty): returns its slot and
   * leaves its tag in `#tag` (`undefined` for a one-way message, whose sender
   * is then `#takeFrom`).
   */
  #take(): unknown {
    let c = this.#hc, i = this.#hi;
    if (i === c.cap) {
      const next = c.next!;
      c.next = null;
      this.#spare = c;
      this.#hc = c = next;
      i = 0;
    }
    const s = c.s;
    const slot = s[i];
    s[i] = undefined;
    // No branch here reads or writes anything the common path does not: code
    // that runs only for a new sender would have no type feedback when the
    // JIT optimizes this, and a new router's first messages would deopt it.
    const t = c.t;
    let tag: unknown = undefined;
    if (t !== null) {
      tag = t[i];
      t[i] = undefined;
    }
    let from = this.#takeFrom;
    if (typeof tag === "string") {
      from = tag;
      tag = undefined;
    }
    this.#takeFrom = from;
    this.#tag = tag;
    // Once empty, head and tail share this chunk: start it over (no branch, as above).
    const empty = --this.#size === 0;
    this.#hi = empty ? 0 : i + 1;
    this.#ti = empty ? 0 : this.#ti;
    return slot;
  }

  /**
   * The hook's promise, or a rejection with {@linkcode ABANDONED} once it
   * has run for `hookTimeout` ms. Its late result is then dropped.
   */
  #bounded(r: Thenable): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const d = this.#rDeadline = deadlines.add(this.hookTimeout, () => reject(ABANDONED));
      r.then((v) => {
        d.cancel();
        resolve(v);
      }, (e) => {
        d.cancel();
        reject(e);
      });
    });
  }

  /**
   * Gives up on a hook that ran past `hookTimeout`: logs it, fails its
   * request or open with `handler_timed_out` (a message becomes a dead letter).
   */
  #abandon(kind: number, tag: unknown, slot: unknown): void {
    const error = handlerTimedOut(this.id, HOOKS[kind]!, this.hookTimeout);
    this.host.report(error);
    finish(this, kind, tag, slot, true, error);
  }

  /** Settles a hook's promise without waiting for it (`serial: false`). */
  #detach(kind: number, tag: unknown, slot: unknown, r: Thenable): void {
    r.then(
      (v) => finish(this, kind, tag, slot, false, v),
      (e) => finish(this, kind, tag, slot, true, e),
    );
  }
}
