/**
 * The client of the messaging endpoint, for Deno, Node 22+ and browsers.
 *
 * @module
 */
import { decode, encode, type Encoding } from "../common/encoding.ts";
import { fromErrorBody, publicError, type SwitchyardError } from "../common/errors.ts";
import { frameData, OPEN, type SocketLike } from "../common/socket.ts";
import { encodeFrames } from "./_client_frames.ts";
import { checkHeartbeat, watchSilence } from "./_heartbeat.ts";
import { Pending } from "./_pending.ts";
import { CLOSE_PEER_SILENT } from "./close_codes.ts";
import { ClientChannel } from "./client_channel.ts";
import type { CodedError } from "./types.ts";

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
  /**
   * Longest silence of the server, in ms, before the connection is given up:
   * pending commands reject with `heartbeat_timed_out`, channels close, the
   * socket is closed with {@linkcode CLOSE_PEER_SILENT} and `onDisconnect`
   * is called. A server silent for a sixth of it is sent a `ping` command.
   * `Infinity` turns this off.
   * @default {30000}
   */
  heartbeatTimeout?: number;
  /**
   * Called once when the connection ends other than by `close()`: with
   * `heartbeat_timed_out` when the server went silent, `connection_closed`
   * when the socket closed. This client does not reconnect by itself.
   */
  onDisconnect?: (error: CodedError) => void;
}

/**
 * Talks to the `/messages` endpoint: sends, requests and channels, with a
 * correlation id per command and, optionally, many commands per frame.
 * Errors arrive as {@linkcode SwitchyardError}s with the server's `code`; when
 * the connection closes, everything pending fails with `connection_closed`.
 *
 * @example Request an actor over WebSocket
 * ```ts
 * import {
 *   MessageRouter,
 *   MessagingClient,
 *   serveMessagingSocket,
 * } from "@switchyard/core/messaging";
 *
 * let count = 0;
 * const router = new MessageRouter();
 * router.register("counter", { onRequest: (d) => (count += (d as { inc: number }).inc) });
 * const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
 *   const { socket, response } = Deno.upgradeWebSocket(req);
 *   serveMessagingSocket(router, socket);
 *   return response;
 * });
 *
 * const client = await MessagingClient.connect(`ws://127.0.0.1:${http.addr.port}/messages`);
 * console.assert((await client.request("counter", { inc: 1 }, { timeout: 5000 })) === 1);
 * await client.close();
 * await http.shutdown();
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
  #closing = false;
  #closed: Promise<void>;
  #markClosed!: () => void;
  #onDisconnect: ((error: CodedError) => void) | undefined;
  #heartbeatTimeout: number;
  /** Watched by the heartbeat sweep; a frame received resets `silent`. */
  #watch = { silent: 0, ping: () => this.#ping(), lost: () => this.#lost() };
  #unwatch: () => void;

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
      client.#closed.then(() => reject(connectionClosed()));
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
    this.#onDisconnect = options.onDisconnect;
    this.#heartbeatTimeout = checkHeartbeat(options.heartbeatTimeout ?? 30_000);
    socket.binaryType = "arraybuffer";
    this.#closed = new Promise((r) => (this.#markClosed = r));
    socket.addEventListener("message", (ev) => this.#frame(ev.data));
    socket.addEventListener("close", () => this.#end(connectionClosed()));
    this.#unwatch = watchSilence(this.#watch, this.#heartbeatTimeout);
  }

  /** Ends the connection: everything pending fails with `error`. */
  #end(error: SwitchyardError): void {
    if (!this.#open) return;
    this.#open = false;
    this.#unwatch();
    for (const w of this.#waiters.clear()) w.reject(error);
    this.#opens.clear();
    for (const ch of this.#channels.values()) ch.closedByPeer();
    this.#channels.clear();
    this.#markClosed();
    if (this.#closing || this.#onDisconnect === undefined) return;
    try {
      this.#onDisconnect(error);
    } catch (err) {
      console.error(err);
    }
  }

  /** Heartbeat: asks the server for a frame (old servers answer with an error). */
  #ping(): void {
    if (this.#open && this.#socket.readyState === OPEN) {
      this.#identified({ op: "ping" }).catch(ignore);
    }
  }

  /** Heartbeat: the server was silent for the whole timeout. */
  #lost(): void {
    const t = this.#heartbeatTimeout;
    this.#end(publicError("heartbeat_timed_out", 503, `Server was silent for more than ${t} ms`, {
      timeout: t,
      retryable: true,
    }));
    try {
      this.#socket.close(CLOSE_PEER_SILENT, `Server was silent for more than ${t} ms`);
    } catch (err) {
      console.error(err);
    }
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
   *
   * @example send() rejects with actor_not_found for an unknown actor
   * ```ts
   * import {
   *   MessageRouter,
   *   MessagingClient,
   *   serveMessagingSocket,
   * } from "@switchyard/core/messaging";
   * import { socketPair } from "@switchyard/core/driver";
   *
   * const router = new MessageRouter();
   * const inbox = Promise.withResolvers<unknown>();
   * router.register("inbox", { onMessage: (data) => inbox.resolve(data) });
   * const [clientEnd, serverEnd] = socketPair();
   * const conn = serveMessagingSocket(router, serverEnd);
   * const client = await MessagingClient.connect(clientEnd);
   *
   * await client.send("inbox", { text: "hello" });
   * console.assert(((await inbox.promise) as { text: string }).text === "hello");
   * const err = await client.send("nobody", 1).then(() => null, (e) => e as { code: string });
   * console.assert(err?.code === "actor_not_found");
   * await client.close();
   * await conn.closed;
   * ```
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
   *
   * @example Many requests in one frame, with batching
   * ```ts
   * import {
   *   MessageRouter,
   *   MessagingClient,
   *   serveMessagingSocket,
   * } from "@switchyard/core/messaging";
   * import { socketPair } from "@switchyard/core/driver";
   *
   * const router = new MessageRouter();
   * router.register("double", { onRequest: (n) => (n as number) * 2 });
   * const [clientEnd, serverEnd] = socketPair();
   * const conn = serveMessagingSocket(router, serverEnd);
   * const client = await MessagingClient.connect(clientEnd, { batch: true });
   *
   * const replies = await Promise.all([1, 2, 3].map((n) => client.request("double", n)));
   * console.assert(replies.join() === "2,4,6");
   * await client.close();
   * await conn.closed;
   * ```
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
   *
   * @example An actor that refuses the channel
   * ```ts
   * import {
   *   MessageRouter,
   *   MessagingClient,
   *   serveMessagingSocket,
   * } from "@switchyard/core/messaging";
   * import { socketPair } from "@switchyard/core/driver";
   *
   * const router = new MessageRouter();
   * router.register("picky", { onChannelOpen: (_channel, initial) => initial === "please" });
   * const [clientEnd, serverEnd] = socketPair();
   * const conn = serveMessagingSocket(router, serverEnd);
   * const client = await MessagingClient.connect(clientEnd);
   *
   * const refused = await client.openChannel("picky", "now").then(() => null, (e) => e);
   * console.assert((refused as { code?: string } | null)?.code === "channel_rejected");
   * const channel = await client.openChannel("picky", "please");
   * console.assert(!channel.closed);
   * await client.close();
   * await conn.closed;
   * ```
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
    this.#closing = true;
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
      frames = encodeFrames(out, this.#encoding);
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
      frames = encodeFrames(out, this.#encoding);
    }
    for (const frame of frames) this.#socket.send(frame);
  };

  #frame(raw: unknown): void {
    this.#watch.silent = 0;
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
    if (msg.op === "ping") return this.#ping();
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

function ignore(): void {}

function connectionClosed() {
  return publicError("connection_closed", 503, "Connection closed");
}
