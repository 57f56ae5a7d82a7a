/**
 * A bounded, serial mailbox: one per registered (or waking) participant.
 *
 * Items are stored flat, two slots each (`a`, `b`), in a list of fixed-size
 * chunks, so a one-way or channel message costs no allocation of its own, a
 * long queue never copies, and a consumed chunk is recycled. A chunk's array
 * grows only as far as it is used, so an idle actor's mailbox stays small.
 * The kind of an item follows from its slots:
 *
 * | kind | a | b |
 * |---|---|---|
 * | `MESSAGE` | sender id (a string) | data |
 * | `REQUEST`, `OPEN` | its {@linkcode Reply} (`end` set for opens) | — |
 * | `CHANNEL_MESSAGE` | the receiving {@linkcode ChannelEnd} | data |
 * | `CHANNEL_CLOSE` | the receiving {@linkcode ChannelEnd} | {@linkcode CLOSE} |
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import { type ChannelEnd, type ChannelState, FULL } from "./_channel.ts";
import { actorStopped, channelNotFound, channelRejected, handlerFailed } from "./_errors.ts";
import { Reply } from "./_reply.ts";
import type { DeadLetter, MessageHandlers } from "./types.ts";

/** Slots per chunk (256 items). */
const CHUNK = 512;

/** Slot `b` of a channel close. */
export const CLOSE: unique symbol = Symbol("close");

class Chunk {
  readonly s: unknown[] = [];
  next: Chunk | null = null;
}

/** Item kinds. */
export const MESSAGE = 0, REQUEST = 1, OPEN = 2, CHANNEL_MESSAGE = 3, CHANNEL_CLOSE = 4;

/** What a mailbox needs from its router. */
export interface MailboxHost {
  /** Reports a one-way message that could not be handled. */
  deadLetter(letter: DeadLetter): void;
  /** Finishes an `onChannelOpen` that returned `accepted`. */
  opened(reply: Reply, accepted: unknown): void;
  /** Reports a failed close hook (nothing to reply to). */
  report(error: SwitchyardError): void;
}

type Thenable = PromiseLike<unknown>;

function kindOf(a: unknown, b: unknown): number {
  if (typeof a === "string") return MESSAGE;
  if (a instanceof Reply) return a.end === null ? REQUEST : OPEN;
  return b === CLOSE ? CHANNEL_CLOSE : CHANNEL_MESSAGE;
}

function isThenable(v: unknown): v is Thenable {
  return v != null && (typeof v === "object" || typeof v === "function") &&
    typeof (v as Thenable).then === "function";
}

/** A participant's queue. `handlers === null` while the participant wakes. */
export class Mailbox {
  readonly id: string;
  readonly capacity: number;
  readonly host: MailboxHost;
  handlers: MessageHandlers | null;
  serial: boolean;
  stopped = false;
  /** Open channels with an end owned by this participant (closed on stop). */
  channels: Set<ChannelState> | null = null;
  /** Head chunk and the slot index of the first queued item in it. */
  #hc = new Chunk();
  #hi = 0;
  /** Tail chunk and the slot index after the last queued item in it. */
  #tc = this.#hc;
  #ti = 0;
  #spare: Chunk | null = null;
  #size = 0;
  #scheduled = false;
  /** Kind of the item whose handler's promise is awaited, or -1. */
  #rKind = -1;
  #rA: unknown = undefined;
  #rB: unknown = undefined;

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
   * Enqueues unless full; `force` ignores the bound (closes must arrive).
   *
   * @returns `false` when full.
   */
  push(a: unknown, b: unknown, force = false): boolean {
    const size = this.#size;
    if (size >= this.capacity && !force) return false;
    let tc = this.#tc, ti = this.#ti;
    if (ti === CHUNK) {
      const c = this.#spare ?? new Chunk();
      this.#spare = null;
      tc.next = c;
      this.#tc = tc = c;
      ti = 0;
    }
    const s = tc.s;
    if (ti === s.length) s.push(a, b);
    else {
      s[ti] = a;
      s[ti + 1] = b;
    }
    this.#ti = ti + 2;
    this.#size = size + 1;
    if (!this.#scheduled && this.#rKind < 0 && this.handlers !== null) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
    return true;
  }

  /** Sets the handlers of a waking participant and starts draining. */
  activate(handlers: MessageHandlers, serial: boolean): void {
    this.handlers = handlers;
    this.serial = serial;
    if (this.#size > 0 && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }

  /** Stops: fails queued and running replies, dead-letters queued messages. */
  stop(error: SwitchyardError = actorStopped(this.id)): void {
    if (this.stopped) return;
    this.stopped = true;
    this.handlers = null;
    if (this.#rKind === REQUEST || this.#rKind === OPEN) this.#failReply(this.#rA as Reply, error);
    this.#rKind = -1;
    this.#rA = this.#rB = undefined;
    for (let c: Chunk | null = this.#hc, i = this.#hi; c !== null; c = c.next, i = 0) {
      const s = c.s;
      const last = c === this.#tc ? this.#ti : CHUNK;
      for (; i < last; i += 2) {
        const a = s[i], b = s[i + 1];
        const kind = kindOf(a, b);
        if (kind === REQUEST || kind === OPEN) this.#failReply(a as Reply, error);
        else if (kind === MESSAGE) this.#lost(MESSAGE, a as string, b, null, error);
        else if (kind === CHANNEL_MESSAGE) {
          const end = a as ChannelEnd;
          this.#lost(CHANNEL_MESSAGE, end.peer, b, end, error);
        }
      }
      if (c === this.#tc) break;
    }
    this.#hc = this.#tc = new Chunk();
    this.#hi = this.#ti = this.#size = 0;
    this.#spare = null;
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
    // `#scheduled` stays true while draining so that pushes made by handlers
    // do not schedule a second drain.
    const wait = this.#next();
    this.#scheduled = false;
    if (wait !== undefined) void this.#serve(wait);
  };

  /**
   * Runs queued items until one returns a promise to wait for (serial mode);
   * that item is kept in `#rKind`/`#rA`/`#rB` and its promise returned.
   */
  #next(): Thenable | undefined {
    while (this.#size > 0) {
      const h = this.handlers;
      if (h === null) return undefined;
      let c = this.#hc, i = this.#hi;
      if (i === CHUNK) {
        const next = c.next!;
        c.next = null;
        this.#spare = c;
        this.#hc = c = next;
        i = 0;
      }
      const s = c.s;
      const a = s[i], b = s[i + 1];
      s[i] = s[i + 1] = undefined;
      if (--this.#size === 0) this.#hi = this.#ti = 0; // head and tail share a chunk
      else this.#hi = i + 2;
      const kind = kindOf(a, b);
      const wait = this.#run(kind, a, b, h);
      if (wait !== undefined) {
        this.#rKind = kind;
        this.#rA = a;
        this.#rB = b;
        return wait;
      }
    }
    return undefined;
  }

  /** Awaits one handler at a time, then keeps draining from the same loop. */
  async #serve(wait: Thenable): Promise<void> {
    for (;;) {
      let failed = false;
      let value: unknown;
      try {
        value = await wait;
      } catch (err) {
        failed = true;
        value = err;
      }
      const kind = this.#rKind;
      if (kind < 0) return; // stopped meanwhile: its reply has failed already
      const a = this.#rA, b = this.#rB;
      this.#rA = this.#rB = undefined;
      if (failed || kind !== MESSAGE) this.#finish(kind, a, b, failed, value);
      this.#rKind = -1;
      if (this.stopped || this.handlers === null) return;
      const next = this.#next();
      if (next === undefined) return;
      wait = next;
    }
  }

  /** Settles an item whose handler threw, or returned a promise that settled. */
  #finish(kind: number, a: unknown, b: unknown, failed: boolean, value: unknown): void {
    switch (kind) {
      case MESSAGE:
        if (failed) {
          this.#lost(MESSAGE, a as string, b, null, handlerFailed(this.id, "onMessage", value));
        }
        return;
      case REQUEST:
        if (failed) (a as Reply).fail(handlerFailed(this.id, "onRequest", value));
        else (a as Reply).ok(value);
        return;
      case OPEN: {
        const reply = a as Reply;
        if (!failed) return this.host.opened(reply, value);
        reply.end!.state.closed = true;
        reply.fail(handlerFailed(this.id, "onChannelOpen", value));
        return;
      }
      case CHANNEL_MESSAGE:
        if (failed) {
          const end = a as ChannelEnd;
          const error = handlerFailed(this.id, "onChannelMessage", value);
          this.#lost(CHANNEL_MESSAGE, end.peer, b, end, error);
        }
        return;
      default:
        if (failed) this.host.report(handlerFailed(this.id, "onChannelClose", value));
    }
  }

  /**
   * Runs one item. A promise from a hook is returned for the caller to wait
   * on in serial mode; otherwise its outcome is attached here.
   */
  #run(kind: number, a: unknown, b: unknown, h: MessageHandlers): Thenable | undefined {
    let r: unknown;
    try {
      switch (kind) {
        case MESSAGE:
          if (h.onMessage === undefined) {
            this.#lost(MESSAGE, a as string, b, null, handlerFailed(this.id, "onMessage"));
            return undefined;
          }
          r = h.onMessage(b, a as string);
          break;
        case REQUEST: {
          const reply = a as Reply;
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
          break;
        }
        case OPEN: {
          const reply = a as Reply;
          if (reply.done || h.onChannelOpen === undefined) {
            reply.end!.state.closed = true; // timed out while queued, or refused
            reply.fail(channelRejected(this.id));
            return undefined;
          }
          r = h.onChannelOpen(reply.end!, reply.data);
          if (!isThenable(r)) {
            this.host.opened(reply, r);
            return undefined;
          }
          break;
        }
        case CHANNEL_MESSAGE: {
          const end = a as ChannelEnd;
          r = end.receive(b, h);
          if (r === FULL) {
            this.#lost(CHANNEL_MESSAGE, end.peer, b, end, channelNotFound(end.id));
            return undefined;
          }
          break;
        }
        default:
          r = (a as ChannelEnd).closedByPeer(h);
      }
    } catch (err) {
      this.#finish(kind, a, b, true, err);
      return undefined;
    }
    if (r === undefined || !isThenable(r)) return undefined;
    if (this.serial) return r;
    r.then((v) => this.#finish(kind, a, b, false, v), (err) => this.#finish(kind, a, b, true, err));
    return undefined;
  }
}
