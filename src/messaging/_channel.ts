/**
 * Channel internals: one shared state and two ends.
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import { channelNotFound, handlerFailed, mailboxFull } from "./messaging_errors.ts";
import type { Mailbox } from "./_mailbox.ts";
import type { Channel, MessageHandlers } from "./types.ts";

/** What a channel needs from its router. */
export interface ChannelHost {
  /** Capacity of mailboxes, also the bound of kept and early messages. */
  readonly capacity: number;
  /** Routes `data` to end `to`; throws `mailbox_full`. */
  deliver(to: ChannelEnd, data: unknown): void;
  /** Closes `state` on behalf of `by`; idempotent. */
  close(state: ChannelState, by: ChannelEnd): void;
  /** Reports a channel message that could not be handled. */
  lost(to: ChannelEnd, data: unknown, error: SwitchyardError): void;
  /** Names `state` (its id was asked for the first time): `ch<n>`, now findable by id. */
  named(state: ChannelState): string;
}

/**
 * The open channel ends owned by one participant: an intrusive list through
 * the ends, so joining and leaving it allocates and hashes nothing.
 */
export class EndList {
  head: ChannelEnd | null = null;

  add(end: ChannelEnd): void {
    end.list = this;
    const h = this.head;
    end.next = h;
    if (h !== null) h.prev = end;
    this.head = end;
  }

  static remove(end: ChannelEnd): void {
    const list = end.list;
    if (list === null) return;
    const { prev, next } = end;
    if (prev === null) list.head = next;
    else prev.next = next;
    if (next !== null) next.prev = prev;
    end.prev = end.next = null;
    end.list = null;
  }
}

/** Returned by {@linkcode ChannelEnd.receive} when the keep buffer is full. */
export const FULL: unique symbol = Symbol("full");

/** The state both ends share. */
export class ChannelState {
  /** Accepted by the target. */
  open = false;
  /** Closed, by either end or by a stop. */
  closed = false;
  /** Messages the target sent while still deciding to accept. */
  early: unknown[] | null = null;
  /** The initiator's end. */
  readonly a: ChannelEnd;
  /** The target's end. */
  readonly b: ChannelEnd;
  /** Sequence number; the id is `ch<n>`, made when first asked for. */
  readonly n: number;
  /** The id once asked for (then the channel is in its table's by-id map). */
  name: string | null = null;
  readonly host: ChannelHost;

  constructor(n: number, initiator: string, target: string, host: ChannelHost) {
    this.n = n;
    this.host = host;
    const a = this.a = new ChannelEnd(this, initiator, target);
    const b = this.b = new ChannelEnd(this, target, initiator);
    a.other = b;
    b.other = a;
  }

  get id(): string {
    return this.name ?? this.host.named(this);
  }
}

/** One end; the public {@linkcode Channel}. */
export class ChannelEnd implements Channel {
  /** The other end. */
  other!: ChannelEnd;
  /**
   * The owner's mailbox while the channel is open, or `null` when the owner
   * is not a registered participant (its messages are handed over at once).
   */
  mailbox: Mailbox | null = null;
  /** Links in the owner's {@linkcode EndList}. */
  list: EndList | null = null;
  prev: ChannelEnd | null = null;
  next: ChannelEnd | null = null;
  #onMessage: ((data: unknown) => void) | null = null;
  #onClose: (() => void) | null = null;
  #kept: unknown[] | null = null;
  #closeArrived = false;

  readonly state: ChannelState;
  readonly self: string;
  readonly peer: string;
  constructor(state: ChannelState, self: string, peer: string) {
    this.state = state;
    this.self = self;
    this.peer = peer;
  }

  get id(): string {
    return this.state.id;
  }

  get closed(): boolean {
    return this.state.closed;
  }

  send(data: unknown): void {
    const s = this.state;
    if (s.closed) throw channelNotFound(s.id);
    if (!s.open) {
      // Only the target holds an end before acceptance: keep until accepted.
      const early = s.early ??= [];
      if (early.length >= s.host.capacity) throw mailboxFull(this.peer, s.host.capacity);
      early.push(data);
      return;
    }
    s.host.deliver(this.other, data);
  }

  close(): void {
    this.state.host.close(this.state, this);
  }

  onMessage(callback: (data: unknown) => void): void {
    this.#onMessage = callback;
    const kept = this.#kept;
    if (kept === null) return;
    this.#kept = null;
    for (const data of kept) {
      try {
        callback(data);
      } catch (err) {
        this.state.host.lost(this, data, asError(err, this));
      }
    }
  }

  onClose(callback: () => void): void {
    this.#onClose = callback;
    if (this.#closeArrived) {
      this.#closeArrived = false;
      callback();
    }
  }

  /**
   * Hands an incoming message to the callback, else to the hook, else keeps
   * it. Throws what the callback or hook throws.
   *
   * @returns The hook's result (maybe a promise), or {@linkcode FULL}.
   */
  receive(data: unknown, handlers: MessageHandlers | null): unknown {
    const cb = this.#onMessage;
    if (cb !== null) return cb(data);
    if (handlers !== null && handlers.onChannelMessage !== undefined) {
      return handlers.onChannelMessage(this, data);
    }
    const kept = this.#kept ??= [];
    if (kept.length >= this.state.host.capacity) return FULL;
    kept.push(data);
    return undefined;
  }

  /**
   * Tells this end the other closed it.
   *
   * @returns The hook's result (maybe a promise).
   */
  closedByPeer(handlers: MessageHandlers | null): unknown {
    const cb = this.#onClose;
    if (cb !== null) return cb();
    if (handlers !== null && handlers.onChannelClose !== undefined) {
      return handlers.onChannelClose(this);
    }
    this.#closeArrived = true;
    return undefined;
  }
}

function asError(err: unknown, end: ChannelEnd): SwitchyardError {
  return handlerFailed(end.self, "channel onMessage callback", err);
}
