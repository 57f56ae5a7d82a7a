/**
 * A connection to an actor: its id, secret token, params, state,
 * subscriptions and the bounded buffer of events kept for replay after a
 * reconnect. The socket behind it (WebSocket or SSE stream) is a
 * {@linkcode ConnSink} that may come and go while the connection lives.
 *
 * @module
 */
import type { Encoding } from "../common/encoding.ts";
import type { HeartbeatWatch } from "../common/heartbeat.ts";
import { type BatchCache, encodeBatches, Frame } from "./frames.ts";

export { Frame };

/** Where a connection's frames go: a WebSocket or an SSE stream. */
export interface ConnSink {
  /** The frame encoding this sink wants. */
  readonly encoding: Encoding;
  /** Sends one encoded frame. Never throws. */
  send(frame: string | Uint8Array): void;
  /** Bytes sent but not yet written to the network (0 where the transport does not tell). */
  readonly bufferedAmount: number;
  /** Ends the transport. */
  close(code: number, reason: string): void;
}

/** The public face of a connection, as actions and hooks see it. */
export interface Conn<CP = unknown, CS = unknown, A = unknown> {
  /** Connection id (stable across reconnects). */
  readonly id: string;
  /** Parameters the client connected with. */
  readonly params: CP;
  /** Per-connection state. */
  state: CS;
  /** What `onAuth` returned for this connection. */
  readonly auth: A | undefined;
  /** Sends an event to this connection only. */
  send(name: string, ...args: unknown[]): void;
  /** Ends the connection for good (the client does not reconnect). */
  disconnect(reason?: string): void;
}

/**
 * Close codes switchyard uses (see `docs/protocol.md`). 1000: the connection
 * ended for good, sent by either end. 4000–4099: refused, the client must not
 * reconnect. Any other code is a drop: the client resumes.
 */
export const CLOSE_NORMAL = 1000;
/**
 * Close code: the server (or a proxy) is going away; the client resumes the
 * connection, and the server keeps it for the reconnect window.
 */
export const CLOSE_GOING_AWAY = 1001;
/** Close code: a frame was too large (RFC 6455). */
export const CLOSE_TOO_LARGE = 1009;
/** Close code: internal error. */
export const CLOSE_INTERNAL = 1011;
/**
 * Close code: nothing came from the peer within the heartbeat timeout; the
 * client resumes.
 */
export const CLOSE_SILENT = 4100;
/**
 * Close code: the client read too slowly and too much was waiting to be
 * sent; the client resumes from the last event it read.
 */
export const CLOSE_SLOW_CONSUMER = 4101;
/** Close code: the connection was refused (onBeforeConnect threw). */
export const CLOSE_REFUSED = 4000;
/** Close code: the resume token was wrong. */
export const CLOSE_BAD_TOKEN = 4001;
/** Close code: auth denied. */
export const CLOSE_FORBIDDEN = 4003;
/** Close code: the actor or handler does not exist. */
export const CLOSE_NOT_FOUND = 4004;

/** What a connection calls back into (the actor instance). */
export interface ConnOwner {
  /** Sends an event to one connection. */
  sendTo(conn: ConnState, name: string, args: unknown[]): void;
  /** Ends a connection for good. */
  end(conn: ConnState, reason: string): void;
  /** Asks for {@linkcode ConnState.flush} on a later microtask (messages were queued). */
  schedule(conn: ConnState): void;
}

/** The runtime side of a connection (internal to the actor runtime). */
export class ConnState<CP = unknown, CS = unknown, A = unknown> implements Conn<CP, CS, A> {
  readonly id: string;
  readonly token: string;
  readonly params: CP;
  state: CS;
  readonly auth: A | undefined;
  /** Event names this connection subscribed to. */
  readonly subs: Set<string> = new Set();
  /** Highest event seq delivered (or buffered) for this connection. */
  lastSeq = 0;
  /** Highest seq evicted from the buffer (lost for replay). */
  droppedUpTo = 0;
  /** Cancels the expiry of a dropped connection. */
  expiry: { cancel(): void } | undefined;
  /** Set once the connection ended for good. */
  closed = false;
  /** Watches the live transport for silence (stopped when the transport changes). */
  beat: HeartbeatWatch | undefined;
  #sink: ConnSink | undefined;
  /** Messages for `#sink` not sent yet, in order (flushed on a microtask). */
  #pending: Frame[] = [];
  #ring: Array<{ seq: number; frame: Frame } | undefined>;
  #head = 0;
  #count = 0;
  #owner: ConnOwner;

  constructor(
    init: {
      id: string;
      token: string;
      params: CP;
      state: CS;
      auth: A | undefined;
      bufferSize: number;
    },
    owner: ConnOwner,
  ) {
    this.id = init.id;
    this.token = init.token;
    this.params = init.params;
    this.state = init.state;
    this.auth = init.auth;
    this.#ring = new Array(init.bufferSize);
    this.#owner = owner;
  }

  /**
   * The live transport, if any. Replacing it drops what was queued for the
   * previous one: events are in the replay buffer (a resuming client asks
   * for them by sequence number) and answers to actions sent on a transport
   * that is gone are lost with it, as the client is told (`connection_lost`).
   */
  get sink(): ConnSink | undefined {
    return this.#sink;
  }
  set sink(sink: ConnSink | undefined) {
    if (sink === this.#sink) return;
    this.#sink = sink;
    this.beat?.stop();
    this.beat = undefined;
    if (this.#pending.length > 0) this.#pending = [];
  }

  send(name: string, ...args: unknown[]): void {
    this.#owner.sendTo(this as unknown as ConnState, name, args);
  }

  disconnect(reason = "disconnected"): void {
    this.#owner.end(this as unknown as ConnState, reason);
  }

  /**
   * Buffers an event for replay and, if a transport is attached, queues it
   * (see {@linkcode flush}).
   */
  deliver(seq: number, frame: Frame): void {
    this.lastSeq = seq;
    const size = this.#ring.length;
    if (size > 0) {
      if (this.#count === size) {
        this.droppedUpTo = this.#ring[this.#head]!.seq;
        this.#ring[this.#head] = { seq, frame };
        this.#head = (this.#head + 1) % size;
      } else {
        this.#ring[(this.#head + this.#count) % size] = { seq, frame };
        this.#count++;
      }
    } else this.droppedUpTo = seq;
    if (this.#sink && this.#pending.push(frame) === 1) this.#owner.schedule(this);
  }

  /**
   * Queues a message (an action's `result` or `error`) behind what is
   * already queued, so it never overtakes an event sent before it.
   *
   * @param sink The transport it answers; nothing is queued unless it is the live one.
   * @param frame The message.
   */
  enqueue(sink: ConnSink, frame: Frame): void {
    if (sink === this.#sink && this.#pending.push(frame) === 1) this.#owner.schedule(this);
  }

  /**
   * Sends the queued messages: one frame for one message, else batches
   * (shared through `cache` with connections that queued the same frames).
   * Everything queued in one tick goes out together.
   *
   * @param cache Batches already built in this flush.
   */
  flush(cache?: BatchCache): void {
    const frames = this.#pending;
    if (frames.length === 0) return;
    this.#pending = [];
    const sink = this.#sink;
    if (!sink) return;
    if (frames.length === 1) return sink.send(frames[0]!.get(sink.encoding));
    const out = cache ? cache.encode(frames, sink.encoding) : encodeBatches(frames, sink.encoding);
    for (const frame of out) sink.send(frame);
  }

  /**
   * Sends a message now (`init`, `gap`), after what is queued.
   *
   * @param sink The transport; nothing is sent unless it is the live one.
   * @param frame The message.
   */
  sendFrame(sink: ConnSink, frame: Frame): void {
    if (sink !== this.#sink) return;
    this.flush();
    sink.send(frame.get(sink.encoding));
  }

  /**
   * Events buffered after `after`, oldest first, and whether some were lost.
   *
   * @param after The last seq the client saw.
   */
  replay(after: number): { gapUpTo: number; frames: Frame[] } {
    const frames: Frame[] = [];
    const size = this.#ring.length;
    for (let i = 0; i < this.#count; i++) {
      const e = this.#ring[(this.#head + i) % size]!;
      if (e.seq > after) frames.push(e.frame);
    }
    return { gapUpTo: this.droppedUpTo > after ? this.droppedUpTo : 0, frames };
  }
}
