/**
 * The client of the messaging endpoint, for Deno, Node 22+ and browsers.
 *
 * @module
 */
import { decode, encode, type Encoding } from "../common/encoding.ts";
import { fromErrorBody, publicError } from "../common/errors.ts";
import { frameData, OPEN, type SocketLike } from "../common/socket.ts";

/** Options of {@linkcode MessagingClient.connect}. */
export interface MessagingClientOptions {
  /**
   * Encoding of commands; with a URL it is also asked of the server as
   * `?encoding=`. Use CBOR to send `Uint8Array` data. @default {"json"}
   */
  encoding?: Encoding;
  /**
   * Whether commands issued in the same tick share one frame (an array).
   * @default {false}
   */
  batch?: boolean;
}

type Waiter = PromiseWithResolvers<unknown>;

/**
 * Pending commands by id. A connection's ids are consecutive, so the waiters
 * sit in an array from the oldest pending id on: adding and taking one is an
 * index, with no hashing; the array is compacted as the oldest settle.
 */
class Pending {
  #slots: (Waiter | undefined)[] = [];
  /** Index of the oldest slot kept, and the id it belongs to. */
  #head = 0;
  #base = 1;

  /** Adds the waiter of the next id. */
  add(w: Waiter): void {
    this.#slots.push(w);
  }

  /** Removes and returns the waiter of `id`, if pending. */
  take(id: unknown): Waiter | undefined {
    if (typeof id !== "number") return undefined;
    const slots = this.#slots;
    const i = this.#head + (id - this.#base);
    if (!(i >= this.#head && i < slots.length)) return undefined; // also NaN, fractions below
    const w = slots[i];
    if (w === undefined) return undefined;
    slots[i] = undefined;
    let head = this.#head;
    if (i === head) {
      do head++; while (head < slots.length && slots[head] === undefined);
      this.#base += head - this.#head;
      if (head === slots.length) {
        slots.length = 0;
        head = 0;
      } else if (head >= 1024 && head * 2 >= slots.length) {
        this.#slots = slots.slice(head);
        head = 0;
      }
      this.#head = head;
    }
    return w;
  }

  /** Removes and returns every pending waiter. */
  clear(): Waiter[] {
    const all = this.#slots.slice(this.#head).filter((w) => w !== undefined);
    this.#base += this.#slots.length - this.#head;
    this.#slots = [];
    this.#head = 0;
    return all;
  }
}

/** The client's end of a channel it opened. */
export class ClientChannel {
  #command: (cmd: Record<string, unknown>) => Promise<unknown>;
  #onMessage: ((data: unknown) => void) | null = null;
  #onClose: (() => void) | null = null;
  #kept: unknown[] = [];
  #closed = false;
  #closeArrived = false;

  /** The channel id given by the server. */
  readonly id: string;

  /**
   * Created by {@linkcode MessagingClient.openChannel}.
   *
   * @param id The channel id given by the server.
   * @param command Sends a command on the client's connection.
   */
  constructor(id: string, command: (cmd: Record<string, unknown>) => Promise<unknown>) {
    this.id = id;
    this.#command = command;
  }

  /** Whether the channel is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a message on the channel.
   *
   * @param data The payload.
   * @returns Resolves once the server enqueued it.
   * @throws {SwitchyardError} (rejects) `channel_not_found`, `mailbox_full`, `connection_closed`.
   */
  send(data: unknown): Promise<void> {
    return this.#command({ op: "channel_send", channel: this.id, data }) as Promise<
      void
    >;
  }

  /**
   * Closes the channel; the other end is told.
   *
   * @returns Resolves once the server closed it.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#command({ op: "channel_close", channel: this.id }) as Promise<void>;
  }

  /**
   * Sets the callback for incoming messages; messages received before it was
   * set are handed to it at once.
   *
   * @param callback Called once per message, in order.
   */
  onMessage(callback: (data: unknown) => void): void {
    this.#onMessage = callback;
    const kept = this.#kept;
    this.#kept = [];
    for (const d of kept) callback(d);
  }

  /**
   * Sets the callback for a close by the other end or the connection.
   *
   * @param callback Called at most once.
   */
  onClose(callback: () => void): void {
    this.#onClose = callback;
    if (this.#closeArrived) {
      this.#closeArrived = false;
      callback();
    }
  }

  /** @internal */
  receive(data: unknown): void {
    if (this.#onMessage !== null) this.#onMessage(data);
    else this.#kept.push(data);
  }

  /** @internal */
  closedByPeer(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#onClose !== null) this.#onClose();
    else this.#closeArrived = true;
  }
}

/**
 * Talks to the `/messages` endpoint: sends, requests and channels, with a
 * correlation id per command and, optionally, many commands per frame.
 * Errors arrive as {@linkcode SwitchyardError}s with the server's `code`; when
 * the connection closes, everything pending fails with `connection_closed`.
 *
 * @example Request an actor over WebSocket
 * ```ts ignore
 * import { MessagingClient } from "@switchyard/core/messaging";
 * const client = await MessagingClient.connect("ws://127.0.0.1:8000/messages");
 * console.log(await client.request("counter", { inc: 1 }, { timeout: 5000 }));
 * await client.close();
 * ```
 */
export class MessagingClient {
  #socket: SocketLike;
  #encoding: Encoding;
  #batch: boolean;
  #next = 0;
  #waiters = new Pending();
  /** Ids of pending `open` commands (their reply makes a channel). */
  #opens = new Set<number>();
  #channels = new Map<string, ClientChannel>();
  #outbox: { id: number; [key: string]: unknown }[] = [];
  #flushing = false;
  #open = true;
  #closed: Promise<void>;

  /**
   * Connects and waits for the socket to open.
   *
   * @param target A `ws:`/`wss:` URL, or an already created socket.
   * @param options Encoding and batching.
   * @returns The connected client.
   * @throws {SwitchyardError} (rejects) `connection_closed` when the socket closes before opening.
   */
  static connect(
    target: string | URL | SocketLike,
    options: MessagingClientOptions = {},
  ): Promise<MessagingClient> {
    let socket: SocketLike;
    let client: MessagingClient;
    try {
      if (typeof target === "string" || target instanceof URL) {
        const url = new URL(target);
        if (options.encoding === "cbor" && !url.searchParams.has("encoding")) {
          url.searchParams.set("encoding", "cbor");
        }
        socket = new WebSocket(url) as unknown as SocketLike;
      } else {
        socket = target;
      }
      client = new MessagingClient(socket, options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (socket.readyState === OPEN) return Promise.resolve(client.#configure());
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(client.#configure()));
      socket.addEventListener("close", () => reject(connectionClosed()));
    });
  }

  /**
   * Wraps a socket; prefer {@linkcode MessagingClient.connect}.
   *
   * @param socket An open or opening socket.
   * @param options Encoding and batching.
   */
  constructor(socket: SocketLike, options: MessagingClientOptions = {}) {
    this.#socket = socket;
    this.#encoding = options.encoding ?? "json";
    this.#batch = options.batch ?? false;
    socket.binaryType = "arraybuffer";
    let markClosed!: () => void;
    this.#closed = new Promise((r) => (markClosed = r));
    socket.addEventListener("message", (ev) => this.#frame(ev.data));
    socket.addEventListener("close", () => {
      this.#open = false;
      const err = connectionClosed();
      for (const w of this.#waiters.clear()) w.reject(err);
      this.#opens.clear();
      for (const ch of this.#channels.values()) ch.closedByPeer();
      this.#channels.clear();
      markClosed();
    });
  }

  /** Resolves once the connection is closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /**
   * Sends a one-way message.
   *
   * @param to Target participant (actor id).
   * @param data The payload.
   * @returns Resolves once the server enqueued it.
   * @throws {SwitchyardError} (rejects) `actor_not_found`, `mailbox_full`, `forbidden`, `connection_closed`.
   */
  send(to: string, data: unknown): Promise<void> {
    if (!this.#open) return Promise.reject(connectionClosed());
    const id = ++this.#next;
    return this.#command({ id, op: "send", to, data }) as Promise<void>;
  }

  /**
   * Sends a request and waits for the reply.
   *
   * @param to Target participant.
   * @param data The payload.
   * @param options Timeout enforced by the server (its default otherwise).
   * @returns The reply.
   * @throws {SwitchyardError} (rejects) with the server's code, e.g. `request_timed_out`.
   */
  request(to: string, data: unknown, options: { timeout?: number } = {}): Promise<unknown> {
    const cmd: Record<string, unknown> = { op: "request", to, data };
    if (options.timeout !== undefined) cmd.timeout = options.timeout;
    return this.#identified(cmd);
  }

  /**
   * Opens a channel to `to`, which accepts or rejects.
   *
   * @param to Target participant.
   * @param initial Payload for the target's `onChannelOpen`.
   * @param options Timeout for acceptance.
   * @returns The client's end.
   * @throws {SwitchyardError} (rejects) `channel_rejected`, `actor_not_found`, ...
   */
  openChannel(
    to: string,
    initial?: unknown,
    options: { timeout?: number } = {},
  ): Promise<ClientChannel> {
    const cmd: Record<string, unknown> = { op: "open", to, data: initial };
    if (options.timeout !== undefined) cmd.timeout = options.timeout;
    return this.#identified(cmd, true) as Promise<ClientChannel>;
  }

  /**
   * Closes the connection; its channels close on the server.
   *
   * @returns Resolves once closed.
   */
  close(): Promise<void> {
    if (this.#outbox.length > 0) this.#flush();
    this.#socket.close(1000, "");
    return this.#closed;
  }

  /**
   * Asks the server to acknowledge runs of commands with one
   * `{ ok: true, ids }` reply (see docs/messaging.md); a server that does not
   * know `configure` answers with an error, which changes nothing.
   */
  #configure(): this {
    this.#identified({ op: "configure", acks: "ids" }).catch(() => {});
    return this;
  }

  /** Gives `cmd` the next id and sends it. */
  #identified(cmd: Record<string, unknown>, open = false): Promise<unknown> {
    if (!this.#open) return Promise.reject(connectionClosed());
    const id = ++this.#next;
    cmd.id = id;
    if (open) this.#opens.add(id);
    return this.#command(cmd as { id: number });
  }

  /** Sends `cmd`, which carries the next id, now or with this tick's batch. */
  #command(cmd: { id: number; [key: string]: unknown }): Promise<unknown> {
    const w = Promise.withResolvers<unknown>();
    this.#waiters.add(w);
    if (!this.#batch) {
      try {
        this.#socket.send(encode(cmd, this.#encoding));
      } catch (err) {
        this.#waiters.take(cmd.id);
        w.reject(err);
      }
    } else {
      this.#outbox.push(cmd);
      if (!this.#flushing) {
        this.#flushing = true;
        queueMicrotask(this.#flush);
      }
    }
    return w.promise;
  }

  #channelCommand = (cmd: Record<string, unknown>): Promise<unknown> => this.#identified(cmd);

  #flush = (): void => {
    this.#flushing = false;
    let out = this.#outbox;
    this.#outbox = [];
    if (out.length === 0 || this.#socket.readyState !== OPEN) return;
    let frames: Array<string | Uint8Array>;
    try {
      frames = this.#frames(out);
    } catch {
      // A command whose data cannot be encoded fails alone; the others go.
      out = out.filter((cmd) => {
        try {
          encode(cmd, this.#encoding);
          return true;
        } catch (err) {
          this.#opens.delete(cmd.id);
          this.#waiters.take(cmd.id)?.reject(err);
          return false;
        }
      });
      if (out.length === 0) return;
      frames = this.#frames(out);
    }
    for (const frame of frames) this.#socket.send(frame);
  };

  /**
   * Encodes a tick's commands as frames: at most {@linkcode FRAME_COMMANDS}
   * commands each (what a server takes by default), and within the size
   * bound. Deno's `WebSocket` client leaves Nagle's algorithm on: a frame of
   * a little over 1 KiB can then wait ~40 ms for the server's delayed ACK, so
   * there batches go out as frames of at most 1 KiB.
   */
  #frames(out: { id: number; [key: string]: unknown }[]): Array<string | Uint8Array> {
    const frames: Array<string | Uint8Array> = [];
    const limit = NAGLE_CLIENT ? SMALL_FRAME : FRAME_MAX_SIZE;
    for (let at = 0; at < out.length; at += FRAME_COMMANDS) {
      const group = out.length <= FRAME_COMMANDS ? out : out.slice(at, at + FRAME_COMMANDS);
      const frame = this.#encodeFrame(group);
      const size = typeof frame === "string" ? frame.length : frame.byteLength;
      if (size <= limit || group.length === 1) {
        frames.push(frame);
        continue;
      }
      const per = Math.ceil(group.length / Math.ceil(size / limit));
      for (let i = 0; i < group.length; i += per) {
        frames.push(this.#encodeFrame(group.slice(i, i + per)));
      }
    }
    return frames;
  }

  #encodeFrame(cmds: { id: number; [key: string]: unknown }[]): string | Uint8Array {
    const folded = sendRuns(cmds);
    return encode(folded.length === 1 ? folded[0] : folded, this.#encoding);
  }

  #frame(raw: unknown): void {
    const data = frameData(raw);
    if (data === undefined) return;
    let value: unknown;
    try {
      value = decode(data);
    } catch {
      return; // a broken server frame: nothing to correlate it with
    }
    if (Array.isArray(value)) { for (const m of value) this.#one(m); }
    else this.#one(value);
  }

  #one(m: unknown): void {
    if (typeof m !== "object" || m === null) return;
    const msg = m as {
      id?: unknown;
      ok?: unknown;
      data?: unknown;
      error?: unknown;
      op?: unknown;
      channel?: unknown;
      ids?: unknown;
      range?: unknown;
    };
    const range = msg.range;
    if (range !== undefined) {
      // Acknowledgements of the consecutive ids `range[0]` to `range[1]`.
      if (msg.ok !== true || !Array.isArray(range)) return;
      const [first, last] = range as [unknown, unknown];
      // A range covers one run of a frame; a far larger one is not from a sane server.
      if (
        !Number.isSafeInteger(first) || !Number.isSafeInteger(last) ||
        (last as number) - (first as number) > 1 << 20
      ) return;
      for (let id = first as number; id <= (last as number); id++) {
        this.#waiters.take(id)?.resolve(undefined);
      }
      return;
    }
    const ids = msg.ids;
    if (ids !== undefined) {
      // Acknowledgements of several commands (`configure` with `acks: "ids"`).
      if (msg.ok !== true || !Array.isArray(ids)) return;
      for (let i = 0; i < ids.length; i++) this.#waiters.take(ids[i])?.resolve(undefined);
      return;
    }
    if (msg.op === "channel_message") {
      this.#channels.get(msg.channel as string)?.receive(msg.data);
      return;
    }
    if (msg.op === "channel_closed") {
      const ch = this.#channels.get(msg.channel as string);
      this.#channels.delete(msg.channel as string);
      ch?.closedByPeer();
      return;
    }
    const id = msg.id as number;
    const w = this.#waiters.take(id);
    if (w === undefined) return;
    if (msg.ok !== true) {
      this.#opens.delete(id);
      return w.reject(fromErrorBody(msg.error));
    }
    if (this.#opens.size === 0 || !this.#opens.delete(id)) return w.resolve(msg.data);
    // Create the channel now, before any push for it in the same frame.
    const channel = (msg.data as { channel: string }).channel;
    const ch = new ClientChannel(channel, this.#channelCommand);
    this.#channels.set(channel, ch);
    w.resolve(ch);
  }
}

function connectionClosed() {
  return publicError("connection_closed", 503, "Connection closed");
}

/** Most commands in one frame: a server refuses more by default. */
const FRAME_COMMANDS = 1000;
/** The largest batch frame, in bytes of CBOR or UTF-16 units of JSON, as the server's. */
const FRAME_MAX_SIZE = 1 << 20;
/** Whether this runtime's `WebSocket` client leaves Nagle's algorithm on (Deno's does). */
const NAGLE_CLIENT = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
/** The largest batch frame sent in one piece by such a client, in bytes (or UTF-16 units). */
const SMALL_FRAME = 1000;

/**
 * Folds each run of consecutive `send`s with consecutive ids into one
 * `send_many` (ids `id`, `id + 1`, …): the server parses two arrays instead
 * of an object per message. Other commands keep their place.
 */
function sendRuns(out: { id: number; [key: string]: unknown }[]): unknown[] {
  if (out.length < 2) return out;
  const folded: unknown[] = [];
  for (let i = 0; i < out.length;) {
    const first = out[i]!;
    let j = i + 1;
    if (first.op === "send") {
      while (j < out.length && out[j]!.op === "send" && out[j]!.id === first.id + (j - i)) j++;
    }
    if (j - i < 2) {
      folded.push(first);
      i++;
      continue;
    }
    const to: unknown[] = new Array(j - i);
    const data: unknown[] = new Array(j - i);
    for (let k = i; k < j; k++) {
      to[k - i] = out[k]!.to;
      data[k - i] = out[k]!.data;
    }
    folded.push({ id: first.id, op: "send_many", to, data });
    i = j;
  }
  return folded;
}
