/**
 * The router's book of open channels: by id (for socket clients, which name
 * channels by id) and per participant (to close them when it stops).
 *
 * The per-participant index lives on the participant's mailbox (one `Set`
 * per actor, kept for its life), so opening and closing a channel costs two
 * set operations and no map lookups by participant. Channels whose initiator
 * has no mailbox (a socket client, an embedder's facade) go to one shared
 * `orphans` set, scanned only when such an id is unregistered.
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import { type ChannelEnd, type ChannelHost, ChannelState, FULL } from "./_channel.ts";
import {
  channelNotFound,
  channelRejected,
  handlerFailed,
  mailboxFull,
  notAParticipant,
} from "./_errors.ts";
import { CLOSE, type Mailbox } from "./_mailbox.ts";
import type { Reply } from "./_reply.ts";
import type { DeadLetter } from "./types.ts";

/** Open channels of one router. */
export class ChannelTable implements ChannelHost {
  readonly capacity: number;
  #mailboxes: Map<string, Mailbox>;
  #dead: (letter: DeadLetter) => void;
  #byId = new Map<string, ChannelState>();
  #orphans = new Set<ChannelState>();
  #next = 0;

  /**
   * @param mailboxes The router's mailboxes by participant id (shared).
   * @param capacity Mailbox capacity, also the bound of kept messages.
   * @param dead Reports a message that could not be handled.
   */
  constructor(
    mailboxes: Map<string, Mailbox>,
    capacity: number,
    dead: (letter: DeadLetter) => void,
  ) {
    this.#mailboxes = mailboxes;
    this.capacity = capacity;
    this.#dead = dead;
  }

  /** Open channels. */
  get size(): number {
    return this.#byId.size;
  }

  /** A new, not yet accepted channel from `initiator` to `target`. */
  create(initiator: string, target: string): ChannelState {
    return new ChannelState(`ch${++this.#next}`, initiator, target, this);
  }

  /** Finishes an open once the target's `onChannelOpen` returned `accepted`. */
  opened(reply: Reply, accepted: unknown): void {
    const state = reply.end!.state;
    if (state.closed) return; // its target stopped meanwhile
    if (accepted !== true) {
      state.closed = true;
      reply.fail(channelRejected(state.b.self));
      return;
    }
    state.open = true;
    if (reply.done) {
      // The initiator gave up (timeout): the target learns the channel closed.
      this.close(state, state.a);
      return;
    }
    this.#byId.set(state.id, state);
    const ma = this.#mailboxes.get(state.a.self);
    (state.aSet = ma === undefined ? this.#orphans : (ma.channels ??= new Set())).add(state);
    const mb = this.#mailboxes.get(state.b.self);
    if (mb !== undefined) (state.bSet = mb.channels ??= new Set()).add(state);
    reply.ok(state.a);
    const early = state.early;
    state.early = null;
    if (early !== null) {
      for (const data of early) {
        try {
          this.deliver(state.a, data);
        } catch (err) {
          this.lost(state.a, data, err as SwitchyardError);
        }
      }
    }
  }

  /** The end of open channel `channel` owned by `by`. */
  endOf(channel: string, by: string): ChannelEnd {
    const s = this.#byId.get(channel);
    if (s === undefined || s.closed) throw channelNotFound(channel);
    if (s.a.self === by) return s.a;
    if (s.b.self === by) return s.b;
    throw notAParticipant(channel, by);
  }

  /** Routes `data` to end `to`: through its owner's mailbox, or at once. */
  deliver(to: ChannelEnd, data: unknown): void {
    const mb = this.#mailboxes.get(to.self);
    if (mb !== undefined) {
      if (!mb.push(to, data)) throw mailboxFull(to.self, this.capacity);
      return;
    }
    // Not a registered participant (e.g. a socket client): hand over now.
    let r: unknown;
    try {
      r = to.receive(data, null);
    } catch (err) {
      this.lost(to, data, handlerFailed(to.self, "channel onMessage callback", err));
      return;
    }
    if (r === FULL) throw mailboxFull(to.self, this.capacity);
  }

  /** Closes `state` on behalf of `by` and tells the other end. Idempotent. */
  close(state: ChannelState, by: ChannelEnd): void {
    if (state.closed) return;
    state.closed = true;
    if (!state.open) return;
    this.#byId.delete(state.id);
    state.aSet?.delete(state);
    state.bSet?.delete(state);
    state.aSet = state.bSet = null;
    const to = by.other;
    const mb = this.#mailboxes.get(to.self);
    if (mb !== undefined) {
      mb.push(to, CLOSE, true);
      return;
    }
    try {
      to.closedByPeer(null);
    } catch (err) {
      console.error(handlerFailed(to.self, "channel onClose callback", err));
    }
  }

  /** Closes every channel of participant `id` (whose mailbox was `mb`). */
  closeAll(id: string, mb: Mailbox | undefined): void {
    const set = mb?.channels;
    if (set != null) { for (const s of set) this.close(s, s.a.self === id ? s.a : s.b); }
    if (this.#orphans.size === 0) return;
    for (const s of this.#orphans) if (s.a.self === id) this.close(s, s.a);
  }

  /** Reports a channel message that could not be handled. */
  lost(to: ChannelEnd, data: unknown, error: SwitchyardError): void {
    this.#dead({
      kind: "channel_message",
      target: to.self,
      from: to.peer,
      data,
      channel: to.id,
      error,
    });
  }
}
