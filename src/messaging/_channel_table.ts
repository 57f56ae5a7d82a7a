/**
 * The router's book of open channels: by id (for socket clients, which name
 * channels by id) and per participant (to close them when it stops).
 *
 * A channel gets a sequence number when opened; its id string `ch<n>` is
 * made, and the channel entered in the by-id map, only when someone asks for
 * the id (a socket connection always does, to tell its client). Channels
 * used only through their handles, as between actors, never touch the map.
 *
 * The per-participant index is an intrusive list through the ends
 * ({@linkcode EndList}) on the participant's mailbox, so opening and closing
 * a channel allocates and hashes nothing there. Ends whose owner has no
 * mailbox (a socket client, an embedder's facade) go to one shared `orphans`
 * list, scanned only when such an id is unregistered.
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import { type ChannelEnd, type ChannelHost, ChannelState, EndList, FULL } from "./_channel.ts";
import {
  channelNotFound,
  channelRejected,
  handlerFailed,
  mailboxFull,
  notAParticipant,
} from "./messaging_errors.ts";
import { CLOSE, type Mailbox } from "./_mailbox.ts";
import type { Reply } from "./_reply.ts";
import type { DeadLetter } from "./types.ts";

/** Open channels of one router. */
export class ChannelTable implements ChannelHost {
  readonly capacity: number;
  #mailboxes: Map<string, Mailbox>;
  #dead: (letter: DeadLetter) => void;
  /** Open channels whose id was asked for, by id. */
  #byId = new Map<string, ChannelState>();
  #orphans = new EndList();
  #next = 0;
  #open = 0;

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
    return this.#open;
  }

  /** A new, not yet accepted channel from `initiator` to `target`. */
  create(initiator: string, target: string): ChannelState {
    return new ChannelState(++this.#next, initiator, target, this);
  }

  named(state: ChannelState): string {
    const id = state.name = `ch${state.n}`;
    if (state.open && !state.closed) this.#byId.set(id, state);
    return id;
  }

  /**
   * Finishes an open once the target's `onChannelOpen` returned `accepted`.
   *
   * @param target The target's mailbox (running the hook).
   */
  opened(reply: Reply, accepted: unknown, target: Mailbox): void {
    const state = reply.end!.state;
    if (state.closed) return; // its target stopped meanwhile
    if (accepted !== true) {
      state.closed = true;
      reply.fail(channelRejected(state.b.self));
      return;
    }
    state.open = true;
    this.#open++;
    const a = state.a, b = state.b;
    b.mailbox = target;
    if (reply.done) {
      // The initiator gave up (timeout): the target learns the channel closed.
      this.close(state, a);
      return;
    }
    if (state.name !== null) this.#byId.set(state.name, state);
    const ma = this.#mailboxes.get(a.self);
    if (ma === undefined) this.#orphans.add(a);
    else {
      a.mailbox = ma;
      (ma.channels ??= new EndList()).add(a);
    }
    (target.channels ??= new EndList()).add(b);
    reply.ok(a);
    const early = state.early;
    state.early = null;
    if (early !== null) {
      for (const data of early) {
        try {
          this.deliver(a, data);
        } catch (err) {
          this.lost(a, data, err as SwitchyardError);
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

  /**
   * The mailbox that receives for `end`, or `null` to hand over at once.
   * An owner that registered after the channel opened is found (and kept).
   */
  #mailboxOf(end: ChannelEnd): Mailbox | null {
    const mb = end.mailbox;
    if (mb !== null) return mb.stopped ? null : mb;
    return end.mailbox = this.#mailboxes.get(end.self) ?? null;
  }

  /** Routes `data` to end `to`: through its owner's mailbox, or at once. */
  deliver(to: ChannelEnd, data: unknown): void {
    const mb = this.#mailboxOf(to);
    if (mb !== null) {
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
    this.#open--;
    if (state.name !== null) this.#byId.delete(state.name);
    EndList.remove(state.a);
    EndList.remove(state.b);
    const to = by.other;
    const mb = this.#mailboxOf(to);
    if (mb !== null) {
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
    const list = mb?.channels;
    if (list != null) {
      for (let end = list.head; end !== null;) {
        const next = end.next;
        this.close(end.state, end);
        end = next;
      }
    }
    for (let end = this.#orphans.head; end !== null;) {
      const next = end.next;
      if (end.self === id) this.close(end.state, end);
      end = next;
    }
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
