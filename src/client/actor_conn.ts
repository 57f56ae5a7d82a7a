/**
 * A live connection to one actor over any {@linkcode SocketLike} the
 * {@linkcode ClientDriver} opens (WebSocket, SSE adapter or an in-process
 * pair), speaking the messages of `src/protocol/messages.ts`.
 *
 * Reconnects: when the transport drops abnormally the connection retries
 * with a bounded, jittered backoff and asks the server to resume it (same
 * id, state and subscriptions; missed events replayed). It does not retry
 * after {@linkcode ActorConnection.dispose}, after a close with code 1000
 * (the server ended it on purpose) or with a code in 4000–4099 (refused,
 * forbidden, not found, bad token).
 *
 * Batches (both ways): a tick's messages share frames (`_conn_outbox.ts`); a
 * received batch is handled message by message, each event with its own
 * sequence number (`_conn_events.ts`). Actions in flight: `_conn_calls.ts`.
 * A heartbeat (`src/common/heartbeat.ts`) drops a transport whose server
 * went silent, and the connection resumes (`docs/protocol.md`).
 *
 * @module
 */
import { fromErrorBody, type SwitchyardError } from "../common/errors.ts";
import { heartbeatFor, type HeartbeatWatch } from "../common/heartbeat.ts";
import { CLOSED, type SocketLike } from "../common/socket.ts";
import { type ClientMessage, MAX_OPENING_SUBS } from "../protocol/messages.ts";
import type { ActorQuery } from "../protocol/query.ts";
import { backoffDelay } from "./backoff.ts";
import type { ClientDriver } from "./client_driver.ts";
import { clientError, isRetryable, toCoded } from "./_errors.ts";
import {
  callAll,
  connectionClosed,
  connectionLost,
  connectionReset,
  readServerFrame,
} from "./_conn_protocol.ts";
import { type AnyListener, ConnEvents } from "./_conn_events.ts";
import { PendingCalls } from "./_conn_calls.ts";
import { Outbox } from "./_conn_outbox.ts";
import { ReadyGate } from "./_conn_ready.ts";
import {
  type ActorConnectionOptions,
  CLOSE_SILENT,
  type ConnCloseInfo,
  type ConnectionStatus,
  FATAL_MAX,
  FATAL_MIN,
} from "./_conn_types.ts";

export type { ActorConnectionOptions, ConnCloseInfo, ConnectionStatus } from "./_conn_types.ts";

/**
 * The machinery of a connection. Users see it through a proxy that adds one
 * method per action (see {@linkcode ActorConn} in `actor_handle.ts`).
 *
 * @example Listen to an event
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 *
 * const counter = actor({
 *   state: { count: 0 },
 *   actions: {
 *     increment: (c, by: number) => {
 *       c.state.count += by;
 *       c.broadcast("changed", c.state.count);
 *       return c.state.count;
 *     },
 *   },
 * });
 * const server = setup({ use: { counter } }).createServer({ driver: memoryDriver() });
 * const client = server.client; // the remote client's connections work the same
 *
 * const conn = client.counter.getOrCreate("a").connect();
 * const seen: number[] = [];
 * const off = conn.on("changed", (count: number) => seen.push(count));
 * const first = new Promise((resolve) => conn.once("changed", resolve));
 * await conn.increment(1);
 * console.assert((await first) === 1 && seen[0] === 1);
 * off();
 * await conn.dispose();
 * await server.shutdown();
 * ```
 */
export class ActorConnection {
  #driver: ClientDriver;
  #query: ActorQuery;
  #opts: ActorConnectionOptions;
  #status: ConnectionStatus = "connecting";
  #socket: SocketLike | undefined;
  #socketClosed: Promise<void> | undefined;
  #opening: Promise<void> | undefined;
  #connId: string | undefined;
  #token: string | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #calls = new PendingCalls();
  #outbox: Outbox;
  #events = new ConnEvents({
    isOpen: () => this.#status === "open",
    send: (msg) => this.#send(msg),
    emitError: (error) => this.#emitError(error),
  });
  #errorListeners = new Set<(error: SwitchyardError) => void>();
  #closeListeners = new Set<(info: ConnCloseInfo) => void>();
  #lastError: SwitchyardError | undefined;
  #ready = new ReadyGate();
  /** The event names sent with the current opening. */
  #openingSubs: string[] | undefined;
  #beat: HeartbeatWatch | undefined;

  /**
   * Starts connecting at once.
   *
   * @param driver How to reach the actor.
   * @param query Which actor.
   * @param options Params, encoding, transport and reconnect policy.
   */
  constructor(driver: ClientDriver, query: ActorQuery, options: ActorConnectionOptions) {
    this.#driver = driver;
    this.#query = query;
    this.#opts = options;
    this.#outbox = new Outbox(options.encoding);
    // On a later microtask, so listeners added right after `connect()` travel with the opening.
    this.#opening = Promise.resolve().then(() => this.#open());
  }

  /** The connection id, once the server accepted the connection. */
  get id(): string | undefined {
    return this.#connId;
  }

  /** Where the connection is in its life. */
  get status(): ConnectionStatus {
    return this.#status;
  }

  /**
   * Waits until the server accepted the connection and every listener added
   * before it resolves is subscribed: an event broadcast after it resolves
   * reaches them.
   *
   * @returns The connection id.
   * @throws {SwitchyardError} The error that ended the connection before it opened (`forbidden`, `connection_failed`, …).
   */
  ready(): Promise<string> {
    return this.#ready.promise;
  }

  /**
   * Listens to an event. The first listener of a name subscribes the
   * connection to it; removing the last one unsubscribes.
   *
   * @param name Event name.
   * @param listener Called with the event's arguments, in sequence order.
   * @returns A function that removes the listener.
   */
  on<A extends unknown[] = unknown[]>(name: string, listener: (...args: A) => void): () => void {
    return this.#events.add(name, listener as unknown as AnyListener);
  }

  /**
   * Listens to the next occurrence of an event only.
   *
   * @param name Event name.
   * @param listener Called once with the event's arguments.
   * @returns A function that removes the listener before it fired.
   */
  once<A extends unknown[] = unknown[]>(name: string, listener: (...args: A) => void): () => void {
    const off = this.on<A>(name, (...args: A) => {
      off();
      listener(...args);
    });
    return off;
  }

  /**
   * Listens to connection-level errors: protocol errors from the server,
   * `events_missed` (metadata `{ after, upTo }`) and `connection_reset`
   * after a reconnect, and the error that ends the connection.
   *
   * @param listener Called with a coded error.
   * @returns A function that removes the listener.
   */
  onError(listener: (error: SwitchyardError) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Listens to the end of the connection (dispose, server close, or given up).
   *
   * @param listener Called once with the close code, reason and error.
   * @returns A function that removes the listener.
   */
  onClose(listener: (info: ConnCloseInfo) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /**
   * Runs an action over the connection. Sent at once when open, else queued
   * until the server accepted the connection.
   *
   * @param name Action name.
   * @param args Arguments.
   * @returns The action's output.
   * @throws {SwitchyardError} The action's error, `connection_lost` when the transport dropped while it ran (it is not re-sent), `connection_closed` after dispose.
   *
   * @example Call an action by name; after dispose() calls reject
   * ```ts
   * import { actor, setup } from "@switchyard/core";
   * import { memoryDriver } from "@switchyard/core/drivers/memory";
   *
   * const echo = actor({ actions: { echo: (_c, text: string) => text } });
   * const server = setup({ use: { echo } }).createServer({ driver: memoryDriver() });
   * const conn = server.client.echo.getOrCreate("a").connect();
   * console.assert((await conn.call("echo", ["hi"])) === "hi");
   * await conn.dispose();
   * const err = await conn.call("echo", ["late"]).then(() => null, (e) => e as { code: string });
   * console.assert(err?.code === "connection_closed");
   * await server.shutdown();
   * ```
   */
  call(name: string, args: unknown[]): Promise<unknown> {
    if (this.#status === "closed") {
      return Promise.reject(
        this.#lastError ?? clientError("connection_closed", 410, "Connection is closed"),
      );
    }
    return this.#calls.call(name, args, this.#status === "open" ? this.#send : undefined);
  }

  /**
   * Closes the connection with code 1000; the server drops it at once and
   * it never reconnects. Pending actions reject with `connection_closed`.
   * Over SSE the stream is aborted instead, and the server keeps the
   * connection until its reconnect window ends.
   *
   * @returns When the transport is closed.
   */
  async dispose(): Promise<void> {
    if (this.#status !== "closed") {
      this.#end(clientError("connection_closed", 410, "Connection was disposed"), {
        code: 1000,
        reason: "disposed",
        clean: true,
      });
    }
    await this.#opening;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket && socket.readyState < CLOSED) socket.close(1000, "disposed");
    await this.#socketClosed;
  }

  /**
   * Test hook: drops the transport as a network failure would (close code
   * 4999), without disposing; the connection then reconnects and resumes.
   *
   * @param code Close code to use. @default {4999}
   */
  _dropForTest(code = 4999): void {
    this.#socket?.close(code, "dropped for test");
  }

  async #open(): Promise<void> {
    const resume = this.#connId !== undefined && this.#token !== undefined
      ? { connId: this.#connId, token: this.#token, lastSeq: this.#events.lastSeq }
      : undefined;
    const subs = this.#events.names().slice(0, MAX_OPENING_SUBS);
    this.#openingSubs = subs;
    let socket: SocketLike;
    try {
      socket = await this.#driver.connect(this.#query, {
        params: this.#opts.params,
        encoding: this.#opts.encoding,
        transport: this.#opts.transport,
        resume,
        subs,
      });
    } catch (err) {
      if (this.#status === "closed") return;
      const e = toCoded(err);
      if (isRetryable(e)) this.#retry(e);
      else this.#end(e, { code: 4000, reason: e.message, clean: false });
      return;
    }
    this.#attach(socket);
    if (this.#status === "closed") socket.close(1000, "disposed");
  }

  #attach(socket: SocketLike): void {
    this.#socket = socket;
    try {
      socket.binaryType = "arraybuffer";
    } catch { /* read-only on some sockets */ }
    this.#socketClosed = socket.readyState === CLOSED ? Promise.resolve() : new Promise((r) => {
      socket.addEventListener("close", () => r());
    });
    const timeout = this.#opts.heartbeatTimeout ?? 30_000;
    this.#beat?.stop();
    this.#beat = timeout > 0
      ? heartbeatFor(timeout).watch({
        ping: () => this.#send({ t: "ping" }),
        dead: () => this.#silent(socket),
      })
      : undefined;
    const beat = this.#beat;
    socket.addEventListener("message", (ev) => {
      if (this.#socket !== socket || this.#status === "closed") return;
      beat?.heard();
      this.#onFrame(ev.data, socket);
    });
    socket.addEventListener("close", (ev) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#onClose(ev.code, ev.reason);
    });
    socket.addEventListener("error", () => {}); // a close event follows
  }

  /** The server went silent: drop its transport (its close may never come) and resume. */
  #silent(socket: SocketLike): void {
    if (this.#socket !== socket || this.#status === "closed") return;
    this.#socket = undefined;
    try {
      socket.close(CLOSE_SILENT, "Heartbeat timed out");
    } catch { /* already closing */ }
    this.#onClose(CLOSE_SILENT, "Heartbeat timed out");
  }

  /** Queues a message for the current transport; a tick's messages share one frame. */
  #send = (msg: ClientMessage): void => {
    if (this.#socket) this.#outbox.push(this.#socket, msg);
  };

  #onFrame(data: unknown, socket: SocketLike): void {
    let msgs: Array<Record<string, unknown>>;
    try {
      msgs = readServerFrame(data);
    } catch (err) {
      this.#emitError(err as SwitchyardError);
      return;
    }
    // A batch is handled as if each message came alone: stop when a listener
    // disposed the connection or dropped its transport.
    for (const msg of msgs) {
      if (this.#socket !== socket || this.#status === "closed") return;
      this.#onMessage(msg);
    }
  }

  #onMessage(msg: Record<string, unknown>): void {
    switch (msg.t) {
      case "init":
        return this.#onInit(msg);
      case "result":
        return void this.#calls.settle(msg.id, { output: msg.output });
      case "error": {
        // The status the same error has over HTTP; 400 from servers that do not send it.
        const error = fromErrorBody(msg, typeof msg.status === "number" ? msg.status : 400);
        if (this.#calls.settle(msg.id, { error })) return;
        this.#lastError = error;
        this.#emitError(error);
        return;
      }
      case "event":
        return this.#events.event(msg);
      case "gap":
        return this.#events.gap(msg);
      case "ping":
        return this.#send(
          msg.id === undefined ? { t: "pong" } : { t: "pong", id: msg.id as number },
        );
      case "pong":
        return this.#ready.pong(msg.id);
    }
  }

  #onInit(msg: Record<string, unknown>): void {
    const connId = String(msg.connId);
    const wasResume = this.#connId !== undefined;
    if (!msg.resumed && wasResume) this.#emitError(connectionReset(this.#connId!, connId));
    this.#connId = connId;
    this.#token = String(msg.token);
    this.#status = "open";
    this.#attempt = 0;
    this.#lastError = undefined;
    const late = this.#events.opened(msg.resumed === true, msg.seq, this.#openingSubs);
    this.#calls.sendQueued(this.#send);
    // Subscriptions that went out after the opening: ready() waits until they took effect.
    const ping = this.#ready.opened(connId, late);
    if (ping !== undefined) this.#send({ t: "ping", id: ping });
  }

  #onClose(code: number, reason: string): void {
    this.#beat?.stop();
    this.#beat = undefined;
    if (this.#status === "closed") return;
    const lost = connectionLost(code, reason);
    this.#calls.rejectSent(lost);
    if (code === 1000 || (code >= FATAL_MIN && code <= FATAL_MAX)) {
      const err = this.#lastError ?? connectionClosed(code, reason);
      this.#end(err, { code, reason, clean: code === 1000 && !this.#lastError });
      return;
    }
    this.#retry(lost);
  }

  #retry(cause: SwitchyardError): void {
    const { reconnect } = this.#opts;
    if (this.#attempt >= reconnect.maxAttempts) {
      const err = clientError(
        "connection_failed",
        503,
        `Connection could not be (re)established after ${this.#attempt + 1} attempts`,
        { metadata: { code: cause.code }, cause },
      );
      this.#end(err, { code: 1006, reason: cause.message, clean: false });
      return;
    }
    this.#status = "reconnecting";
    const delay = backoffDelay(this.#attempt++, reconnect);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#status === "closed") return;
      this.#opening = this.#open();
    }, delay);
  }

  #end(error: SwitchyardError, info: { code: number; reason: string; clean: boolean }): void {
    this.#status = "closed";
    this.#beat?.stop();
    this.#beat = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#calls.rejectAll(error);
    this.#ready.fail(error);
    if (!info.clean && error !== this.#lastError) this.#emitError(error);
    this.#lastError = error;
    const closeInfo: ConnCloseInfo = info.clean
      ? { code: info.code, reason: info.reason }
      : { code: info.code, reason: info.reason, error };
    callAll(this.#closeListeners, [closeInfo], "close");
    this.#closeListeners.clear();
    this.#opts.onEnd?.();
  }

  #emitError(error: SwitchyardError): void {
    callAll(this.#errorListeners, [error], "connection errors");
  }
}
