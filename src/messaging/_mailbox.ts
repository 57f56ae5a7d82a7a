/**
 * A bounded, serial mailbox: one per registered (or waking) participant.
 *
 * Items are stored flat, one slot each, in a list of chunks, so a one-way or
 * channel message costs no allocation of its own, a long queue never copies
 * what it holds, and a consumed chunk is recycled. What is not data goes to
 * the chunk's tag array, at the same index:
 *
 * | item | slot | tag |
 * |---|---|---|
 * | one-way message | data | the sender id (a string), only when it differs from the previous message's; else none |
 * | request, open | — | its {@linkcode Reply} (`end` set for opens) |
 * | channel message | data | the receiving {@linkcode ChannelEnd} |
 * | channel close | {@linkcode CLOSE} | the receiving {@linkcode ChannelEnd} |
 *
 * So a run of messages from one sender takes one slot per message, and data
 * is never inspected to tell items apart. A chunk's arrays grow as used (an
 * idle actor's mailbox stays small); each chunk after the first may hold
 * twice as many items as the one before, up to {@linkcode MAX}: a deep queue
 * takes few chunks, and their arrays end up in V8's large-object space,
 * which the young-generation GC does not copy.
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import { isThenable } from "../common/thenable.ts";
import { type ChannelEnd, type EndList, FULL } from "./_channel.ts";
import { actorStopped, channelNotFound, channelRejected, handlerFailed } from "./_errors.ts";
import { Reply } from "./_reply.ts";
import type { DeadLetter, MessageHandlers } from "./types.ts";

/** Slots of a mailbox's first chunk. */
const FIRST = 256;
/** Most slots per chunk (256 KB with compressed pointers). */
const MAX = 65536;

/** Slot of a channel close. */
export const CLOSE: unique symbol = Symbol("close");

class Chunk {
  /** Item slots, grown as used. */
  readonly s: unknown[] = [];
  /** Tags by slot index (`null` until one is needed). */
  t: unknown[] | null = null;
  next: Chunk | null = null;
  /** Slots this chunk holds. */
  readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }

  /**
   * The tag array. Tags are written by index, leaving holes: a small chunk's
   * grows as used, a large one's is allocated whole (far writes past the end
   * of a growing array would make V8 switch it to slow dictionary elements).
   */
  tags(): unknown[] {
    return this.t ??= this.cap <= FIRST ? [] : new Array(this.cap);
  }
}

/** Item kinds. */
const MESSAGE = 0, REQUEST = 1, OPEN = 2, CHANNEL_MESSAGE = 3, CHANNEL_CLOSE = 4;

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

function kindOf(tag: unknown, slot: unknown): number {
  if (tag === undefined) return MESSAGE;
  if (tag instanceof Reply) return tag.end === null ? REQUEST : OPEN;
  return slot === CLOSE ? CHANNEL_CLOSE : CHANNEL_MESSAGE;
}

function ignore(): void {}

/** A participant's queue. `handlers === null` while the participant wakes. */
export class Mailbox {
  readonly id: string;
  readonly capacity: number;
  readonly host: MailboxHost;
  handlers: MessageHandlers | null;
  serial: boolean;
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
    if (this.#rReply !== null) this.#failReply(this.#rReply, error);
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
        if (kind === REQUEST || kind === OPEN) this.#failReply(tag as Reply, error);
        else if (kind === MESSAGE) this.#lost(MESSAGE, from, s[i], null, error);
        else if (kind === CHANNEL_MESSAGE) {
          const end = tag as ChannelEnd;
          this.#lost(CHANNEL_MESSAGE, end.peer, s[i], end, error);
        }
      }
      if (c === this.#tc) break;
    }
    this.#hc = this.#tc = new Chunk(FIRST);
    this.#hi = this.#ti = this.#size = 0;
    this.#spare = null;
    this.#pushFrom = null;
  }

  #failReply(reply: Reply, error: SwitchyardError): void {
    if (reply.end !== null) reply.end.state.closed = true;
    reply.fail(error);
  }

  #lost(kind: number, from: string, data: unknown, end: ChannelEnd | null, error: SwitchyardError) {
    const letter: DeadLetter = {
      kind: kind === MESSAGE ? "message" : "channel_message",
      target: this.id,
      from,
      data,
      error,
    };
    if (end !== null) letter.channel = end.id;
    this.host.deadLetter(letter);
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
          this.#lost(
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
        r = this.#run(kind, tag, slot, h);
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
        value = await r;
      } catch (err) {
        failed = true;
        value = err;
      }
      if (this.#rKind < 0) return; // stopped meanwhile: its reply has failed already
      this.#rKind = -1;
      if (failed || kind !== MESSAGE) {
        this.#rReply = null;
        this.#finish(kind, tag, slot, failed, value);
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

  /** Settles a hook's promise without waiting for it (`serial: false`). */
  #detach(kind: number, tag: unknown, slot: unknown, r: Thenable): void {
    r.then(
      (v) => this.#finish(kind, tag, slot, false, v),
      (e) => this.#finish(kind, tag, slot, true, e),
    );
  }

  /**
   * Settles an item whose handler threw, or returned a promise that settled.
   * For a one-way message `tag` is its sender.
   */
  #finish(kind: number, tag: unknown, slot: unknown, failed: boolean, value: unknown): void {
    switch (kind) {
      case MESSAGE:
        if (failed) {
          this.#lost(
            MESSAGE,
            tag as string,
            slot,
            null,
            handlerFailed(this.id, "onMessage", value),
          );
        }
        return;
      case REQUEST:
        if (failed) (tag as Reply).fail(handlerFailed(this.id, "onRequest", value));
        else (tag as Reply).ok(value);
        return;
      case OPEN: {
        const reply = tag as Reply;
        if (!failed) return this.host.opened(reply, value, this);
        reply.end!.state.closed = true;
        reply.fail(handlerFailed(this.id, "onChannelOpen", value));
        return;
      }
      case CHANNEL_MESSAGE:
        if (failed) {
          const end = tag as ChannelEnd;
          const error = handlerFailed(this.id, "onChannelMessage", value);
          this.#lost(CHANNEL_MESSAGE, end.peer, slot, end, error);
        }
        return;
      default:
        if (failed) this.host.report(handlerFailed(this.id, "onChannelClose", value));
    }
  }

  /**
   * Runs one item other than a one-way message and settles it if its hook
   * did not return a promise.
   *
   * @returns The hook's promise, for the caller to settle, or `undefined`.
   */
  #run(kind: number, tag: unknown, slot: unknown, h: MessageHandlers): unknown {
    let r: unknown;
    try {
      switch (kind) {
        case REQUEST: {
          const reply = tag as Reply;
          if (reply.done) return undefined; // timed out while queued
          if (h.onRequest === undefined) {
            reply.fail(handlerFailed(this.id, "onRequest"));
            return undefined;
          }
          r = h.onRequest(reply.data, reply.from);
          if (!isThenable(r)) {
            reply.ok(r);
            return undefined;
          }
          return r;
        }
        case OPEN: {
          const reply = tag as Reply;
          if (reply.done || h.onChannelOpen === undefined) {
            reply.end!.state.closed = true; // timed out while queued, or refused
            reply.fail(channelRejected(this.id));
            return undefined;
          }
          r = h.onChannelOpen(reply.end!, reply.data);
          if (!isThenable(r)) {
            this.host.opened(reply, r, this);
            return undefined;
          }
          return r;
        }
        case CHANNEL_MESSAGE: {
          const end = tag as ChannelEnd;
          r = end.receive(slot, h);
          if (r === FULL) {
            this.#lost(CHANNEL_MESSAGE, end.peer, slot, end, channelNotFound(end.id));
            return undefined;
          }
          return r;
        }
        default:
          return (tag as ChannelEnd).closedByPeer(h);
      }
    } catch (err) {
      this.#finish(kind, tag, slot, true, err);
      return undefined;
    }
  }
}
