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

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  open: boolean;
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
  #waiters = new Map<number, Waiter>();
  #channels = new Map<string, ClientChannel>();
  #outbox: unknown[] = [];
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
    if (typeof target === "string" || target instanceof URL) {
      const url = new URL(target);
      if (options.encoding === "cbor" && !url.searchParams.has("encoding")) {
        url.searchParams.set("encoding", "cbor");
      }
      socket = new WebSocket(url) as unknown as SocketLike;
    } else {
      socket = target;
    }
    const client = new MessagingClient(socket, options);
    if (socket.readyState === OPEN) return Promise.resolve(client);
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(client));
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
      for (const w of this.#waiters.values()) w.reject(err);
      this.#waiters.clear();
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
    return this.#command({ op: "send", to, data }) as Promise<void>;
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
    return this.#command(
      options.timeout === undefined ? { op: "request", to, data } : {
        op: "request",
        to,
        data,
        timeout: options.timeout,
      },
    );
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
    return this.#command(cmd, true) as Promise<ClientChannel>;
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

  #command(cmd: Record<string, unknown>, open = false): Promise<unknown> {
    if (!this.#open) return Promise.reject(connectionClosed());
    const id = ++this.#next;
    cmd.id = id;
    return new Promise((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject, open });
      if (!this.#batch) {
        this.#socket.send(encode(cmd, this.#encoding));
        return;
      }
      this.#outbox.push(cmd);
      if (!this.#flushing) {
        this.#flushing = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  #channelCommand = (cmd: Record<string, unknown>): Promise<unknown> => this.#command(cmd);

  #flush(): void {
    this.#flushing = false;
    const out = this.#outbox;
    this.#outbox = [];
    if (out.length === 0 || this.#socket.readyState !== OPEN) return;
    this.#socket.send(encode(out.length === 1 ? out[0] : out, this.#encoding));
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
    };
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
    const w = this.#waiters.get(msg.id as number);
    if (w === undefined) return;
    this.#waiters.delete(msg.id as number);
    if (msg.ok !== true) return w.reject(fromErrorBody(msg.error));
    if (!w.open) return w.resolve(msg.data);
    // Create the channel now, before any push for it in the same frame.
    const id = (msg.data as { channel: string }).channel;
    const ch = new ClientChannel(id, this.#channelCommand);
    this.#channels.set(id, ch);
    w.resolve(ch);
  }
}

function connectionClosed() {
  return publicError("connection_closed", 503, "Connection closed");
}
