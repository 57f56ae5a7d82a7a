/**
 * The event side of a connection (`actor_conn.ts`): listeners by event
 * name, the subscriptions sent to the server, and the sequence numbers of
 * received `event` messages and `gap` notices.
 *
 * @module
 */
import type { SwitchyardError } from "../common/errors.ts";
import type { ClientMessage } from "../protocol/messages.ts";
import { callAll, eventsMissed } from "./_conn_protocol.ts";

/** A listener of any event. */
export type AnyListener = (...args: unknown[]) => void;

/** What {@linkcode ConnEvents} needs from its connection. */
export interface ConnEventsHost {
  /** Whether the server accepted the connection (subscriptions can be sent now). */
  isOpen(): boolean;
  /** Sends a subscription message on the current transport. */
  send(msg: ClientMessage): void;
  /** Reports a connection-level error (`events_missed`). */
  emitError(error: SwitchyardError): void;
}

/**
 * Listeners, subscriptions and the last event sequence number seen (sent as
 * `lastSeq` when the connection resumes, so the server replays only what
 * came after it).
 */
export class ConnEvents {
  /** Highest event sequence number seen (or declared lost by a `gap`). */
  lastSeq = 0;
  #host: ConnEventsHost;
  #listeners = new Map<string, Set<AnyListener>>();
  #sentSubs = new Set<string>();

  /** @param host The connection. */
  constructor(host: ConnEventsHost) {
    this.#host = host;
  }

  /**
   * Adds a listener; the first one of a name subscribes (now when open,
   * else on `init`).
   *
   * @param name Event name.
   * @param listener The listener.
   * @returns A function that removes it (the last removal unsubscribes).
   */
  add(name: string, listener: AnyListener): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      this.#listeners.set(name, set = new Set());
      if (this.#host.isOpen()) {
        this.#sentSubs.add(name);
        this.#host.send({ t: "sub", event: name });
      }
    }
    set.add(listener);
    return () => this.#remove(name, listener);
  }

  /** The names that have listeners, in the order they were first added. */
  names(): string[] {
    return [...this.#listeners.keys()];
  }

  /**
   * The server accepted the connection: on a fresh one (not resumed) its
   * sequence numbers start over; the server holds the subscriptions sent
   * with the opening (or, without them, none on a fresh connection and the
   * earlier ones on a resume). Then the server's subscriptions are brought
   * in line with the listeners.
   *
   * @param resumed Whether the server resumed the earlier connection.
   * @param seq The server's last sequence number for a new connection.
   * @param openingSubs The names sent with the opening, if any.
   * @returns How many `sub` messages had to be sent after the opening.
   */
  opened(resumed: boolean, seq: unknown, openingSubs: readonly string[] | undefined): number {
    if (!resumed) this.lastSeq = typeof seq === "number" ? seq : 0;
    if (openingSubs) this.#sentSubs = new Set(openingSubs);
    else if (!resumed) this.#sentSubs.clear();
    for (const name of this.#sentSubs) {
      if (!this.#listeners.has(name)) this.#host.send({ t: "unsub", event: name });
    }
    let late = 0;
    for (const name of this.#listeners.keys()) {
      if (this.#sentSubs.has(name)) continue;
      late++;
      this.#host.send({ t: "sub", event: name });
    }
    this.#sentSubs = new Set(this.#listeners.keys());
    return late;
  }

  /**
   * One `event` message: dropped when its `seq` was already seen (a replay
   * after a resume), else given to the listeners of its name.
   *
   * @param msg The decoded message.
   */
  event(msg: Record<string, unknown>): void {
    const seq = msg.seq;
    if (typeof seq === "number") {
      if (seq <= this.lastSeq) return; // already seen before a resume
      this.lastSeq = seq;
    }
    const set = this.#listeners.get(msg.name as string);
    if (!set) return;
    callAll(set, Array.isArray(msg.args) ? msg.args : [], `event "${String(msg.name)}"`);
  }

  /**
   * A `gap` notice: events up to `upTo` are gone; reported as
   * `events_missed`.
   *
   * @param msg The decoded message.
   */
  gap(msg: Record<string, unknown>): void {
    const upTo = msg.upTo;
    if (typeof upTo === "number") this.lastSeq = Math.max(this.lastSeq, upTo);
    this.#host.emitError(eventsMissed(msg.after, upTo));
  }

  #remove(name: string, listener: AnyListener): void {
    const set = this.#listeners.get(name);
    if (!set?.delete(listener) || set.size > 0) return;
    this.#listeners.delete(name);
    if (this.#host.isOpen() && this.#sentSubs.delete(name)) {
      this.#host.send({ t: "unsub", event: name });
    }
  }
}
