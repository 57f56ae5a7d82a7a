/**
 * The connections of one actor: opening (with `onBeforeConnect`,
 * `createConnState`, `onConnect`), resuming within the reconnect window
 * (same id, state and subscriptions; buffered events replayed, or a gap
 * reported), protocol frames, drops and clean ends (`onDisconnect`).
 *
 * @module
 */
import { decode } from "../common/encoding.ts";
import { publicError, toErrorBody } from "../common/errors.ts";
import { deadlines } from "../common/deadlines.ts";
import { heartbeatFor } from "../common/heartbeat.ts";
import { randomId, randomToken, safeEqual } from "../common/ids.ts";
import {
  type ClientMessage,
  MAX_MESSAGES_PER_FRAME,
  parseClientMessage,
  type ServerMessage,
} from "../protocol/messages.ts";
import {
  CLOSE_BAD_TOKEN,
  CLOSE_FORBIDDEN,
  CLOSE_INTERNAL,
  CLOSE_NORMAL,
  CLOSE_NOT_FOUND,
  CLOSE_REFUSED,
  CLOSE_SILENT,
  CLOSE_SLOW_CONSUMER,
  type ConnOwner,
  type ConnSink,
  ConnState,
  Frame,
} from "./conn.ts";
import { BatchCache, encodeBatches } from "./frames.ts";
import type { ActorInstance } from "./instance.ts";

/** How a transport asks to open or resume a connection. */
export interface OpenRequest {
  /** Connection parameters. */
  params: unknown;
  /** What `onAuth` returned. */
  auth: unknown;
  /** The request that opened it. */
  request: Request;
  /** Resume an earlier connection. */
  resume?: { connId: string; token: string; lastSeq: number };
  /**
   * Event names the connection subscribes to, in effect before `init` is
   * sent. On a resume they replace the connection's subscriptions.
   */
  subs?: string[];
}

function errorMessage(err: unknown, id?: number): ServerMessage {
  const { body, status } = toErrorBody(err);
  const msg: ServerMessage = { t: "error", code: body.code, message: body.message, status };
  if (id !== undefined) msg.id = id;
  if (body.metadata !== undefined) msg.metadata = body.metadata;
  return msg;
}

/** The heartbeat's ping, encoded once per encoding for every connection. */
const PING = new Frame({ t: "ping" });

/** The connection table of one actor instance. */
export class Connections implements ConnOwner {
  /** Connections by id (including dropped ones inside their reconnect window). */
  readonly live: Map<string, ConnState> = new Map();
  #actor: ActorInstance;
  /** Connections with queued messages, flushed together on one microtask. */
  #queued: ConnState[] = [];

  /** @param actor The owning instance. */
  constructor(actor: ActorInstance) {
    this.#actor = actor;
  }

  /**
   * Opens or resumes a connection on `sink` and sends `init` (plus the
   * replay on a resume).
   *
   * @returns The connection.
   * @throws {SwitchyardError} `invalid_token` (401) for a resume with a wrong
   * token, `actor_stopped`, or whatever `onBeforeConnect`/`createConnState`
   * threw. {@linkcode closeCodeFor} maps it to a WebSocket close code.
   */
  async open(sink: ConnSink, req: OpenRequest): Promise<ConnState> {
    const actor = this.#actor;
    const def = actor.def;
    if (req.resume) {
      const old = this.live.get(req.resume.connId);
      if (old && !old.closed) {
        if (!safeEqual(old.token, req.resume.token)) {
          throw publicError("invalid_token", 401, "Connection token is invalid");
        }
        if (req.subs) {
          old.subs.clear();
          for (const name of req.subs) old.subs.add(name);
        }
        this.#attach(old, sink, true, req.resume.lastSeq);
        return old;
      }
    }
    if (!actor.running) {
      throw publicError("actor_stopped", 503, `Actor "${actor.record.name}" is stopping`);
    }
    try {
      const args = { params: req.params, auth: req.auth, request: req.request };
      if (def.onBeforeConnect) await def.onBeforeConnect(actor.context, args);
      const state = def.createConnState
        ? await def.createConnState(actor.context, args)
        : (def.connState === undefined ? undefined : structuredClone(def.connState));
      const conn = new ConnState({
        id: randomId(),
        token: randomToken(),
        params: req.params,
        state,
        auth: req.auth,
        bufferSize: def.options.eventBufferSize,
      }, this);
      for (const name of req.subs ?? []) conn.subs.add(name);
      this.live.set(conn.id, conn);
      if (def.onConnect) await def.onConnect(actor.context, conn);
      this.#attach(conn, sink, false, 0);
      return conn;
    } catch (err) {
      actor.reportError(err, "connect");
      throw err;
    }
  }

  /**
   * Handles one frame from a connection's transport: one message, or a list
   * of messages handled in order (subscriptions take effect before the
   * actions after them start; actions run concurrently, as if each had come
   * in its own frame).
   *
   * @param conn The connection.
   * @param sink The transport it came on (replies go there).
   * @param data The frame.
   */
  receive(conn: ConnState, sink: ConnSink, data: string | Uint8Array): void {
    let value: unknown;
    try {
      value = decode(data);
    } catch (err) {
      return this.#reply(conn, sink, errorMessage(err));
    }
    if (sink === conn.sink) conn.beat?.heard();
    this.#actor.touch();
    if (!Array.isArray(value)) return this.#receiveOne(conn, sink, value);
    if (value.length === 0 || value.length > MAX_MESSAGES_PER_FRAME) {
      const err = publicError(
        "malformed_message",
        400,
        `A frame holds 1 to ${MAX_MESSAGES_PER_FRAME} messages, not ${value.length}`,
      );
      return this.#reply(conn, sink, errorMessage(err));
    }
    for (const item of value) this.#receiveOne(conn, sink, item);
  }

  #receiveOne(conn: ConnState, sink: ConnSink, value: unknown): void {
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(value);
    } catch (err) {
      const id = (err as { metadata?: { id?: unknown } }).metadata?.id;
      return this.#reply(
        conn,
        sink,
        errorMessage(err, Number.isSafeInteger(id) ? id as number : undefined),
      );
    }
    if (msg.t === "sub") return void conn.subs.add(msg.event);
    if (msg.t === "unsub") return void conn.subs.delete(msg.event);
    if (msg.t === "ping") {
      return this.#reply(
        conn,
        sink,
        msg.id === undefined ? { t: "pong" } : { t: "pong", id: msg.id },
      );
    }
    if (msg.t === "pong") return;
    void this.#run(conn, sink, msg);
  }

  async #run(
    conn: ConnState,
    sink: ConnSink,
    msg: Extract<ClientMessage, { t: "action" }>,
  ): Promise<void> {
    try {
      const output = await this.#actor.runAction(msg.name, msg.args, { conn, auth: conn.auth });
      this.#reply(conn, sink, { t: "result", id: msg.id, output });
    } catch (err) {
      this.#reply(conn, sink, errorMessage(err, msg.id));
    }
  }

  /**
   * The transport went away. Only a close with 1000 (the client ended the
   * connection) ends it; anything else — 1001 "going away" included (a
   * server or proxy going down, a page unloading) — keeps it for the
   * reconnect window, where the client resumes it.
   */
  dropped(conn: ConnState, sink: ConnSink, code: number): void {
    if (conn.sink !== sink || conn.closed) return;
    conn.sink = undefined;
    if (code === CLOSE_NORMAL) return this.end(conn, "closed by client", false);
    conn.expiry = deadlines.add(this.#actor.def.options.reconnectWindow, () => {
      conn.expiry = undefined;
      if (!conn.sink) this.end(conn, "reconnect window passed", false);
    });
  }

  /** @inheritdoc */
  schedule(conn: ConnState): void {
    if (this.#queued.push(conn) === 1) queueMicrotask(this.#flushQueued);
  }

  /**
   * Sends everything queued in this tick. Connections that queued the same
   * frames in the same order (a broadcast) share one batch per encoding.
   */
  #flushQueued = (): void => {
    const queued = this.#queued;
    this.#queued = [];
    const cache = queued.length > 1 ? new BatchCache() : undefined;
    const limit = this.#actor.def.options.maxBufferedBytes;
    for (const conn of queued) {
      conn.flush(cache);
      const sink = conn.sink;
      if (sink && sink.bufferedAmount > limit) this.#overflow(conn, sink);
    }
  };

  /**
   * The client does not read what it is sent: close its transport rather
   * than buffer without bound. The connection stays for the reconnect
   * window; the client resumes from the last event it read.
   */
  #overflow(conn: ConnState, sink: ConnSink): void {
    sink.close(CLOSE_SLOW_CONSUMER, "slow_consumer");
    this.dropped(conn, sink, CLOSE_SLOW_CONSUMER);
  }

  /** @inheritdoc */
  sendTo(conn: ConnState, name: string, args: unknown[]): void {
    this.#actor.sendTo(conn, name, args);
  }

  /** Ends a connection for good and runs `onDisconnect`. */
  end(conn: ConnState, reason: string, closeSink = true): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.expiry?.cancel();
    this.live.delete(conn.id);
    const sink = conn.sink;
    if (sink && closeSink) conn.flush(); // events sent before the end arrive before the close
    conn.sink = undefined;
    if (sink && closeSink) sink.close(CLOSE_NORMAL, reason.slice(0, 120));
    const hook = this.#actor.def.onDisconnect;
    if (hook) {
      Promise.resolve().then(() => hook(this.#actor.context, conn)).catch((err) =>
        this.#actor.reportError(err, "onDisconnect")
      );
    }
    this.#actor.touch();
  }

  /** Ends every connection (sleep, shutdown). */
  closeAll(code: number, reason: string): void {
    for (const conn of [...this.live.values()]) {
      const sink = conn.sink;
      conn.flush();
      conn.sink = undefined;
      sink?.close(code, reason);
      this.end(conn, reason, false);
    }
  }

  #attach(conn: ConnState, sink: ConnSink, resumed: boolean, lastSeq: number): void {
    conn.expiry?.cancel();
    conn.expiry = undefined;
    const previous = conn.sink;
    conn.sink = sink;
    if (previous && previous !== sink) previous.close(4000, "Replaced by a newer transport");
    const timeout = this.#actor.def.options.heartbeatTimeout;
    if (timeout > 0) {
      conn.beat = heartbeatFor(timeout).watch({
        ping: () => conn.sendFrame(sink, PING),
        dead: () => {
          if (conn.sink !== sink) return;
          sink.close(CLOSE_SILENT, "Heartbeat timed out");
          this.dropped(conn, sink, CLOSE_SILENT);
        },
      });
    }
    // A new connection starts at seq 0: what onConnect sent it is replayed below.
    const after = resumed ? lastSeq : 0;
    const init: ServerMessage = {
      t: "init",
      connId: conn.id,
      token: conn.token,
      resumed,
      seq: resumed ? conn.lastSeq : 0,
    };
    conn.sendFrame(sink, new Frame(init));
    if (!resumed && conn.lastSeq === 0) return;
    const { gapUpTo, frames } = conn.replay(after);
    if (gapUpTo) conn.sendFrame(sink, new Frame({ t: "gap", after, upTo: gapUpTo }));
    // The replay goes out as batches (its frames are already encoded).
    if (frames.length > 0) {
      for (const out of encodeBatches(frames, sink.encoding)) {
        sink.send(out);
      }
    }
  }

  #reply(conn: ConnState, sink: ConnSink, msg: ServerMessage): void {
    conn.enqueue(sink, new Frame(msg));
  }
}

/**
 * Sends a refusal as an error frame and closes the transport with
 * {@linkcode closeCodeFor}.
 *
 * @param sink The transport.
 * @param err What refused the connection.
 */
export function refuse(sink: ConnSink, err: unknown): void {
  sink.send(new Frame(errorMessage(err)).get(sink.encoding));
  sink.close(closeCodeFor(err), toErrorBody(err).body.code);
}

/**
 * The close code for an error: 4001 bad token, 4003 forbidden, 4004 not
 * found, 1011 internal, 4000 any other refusal. Clients do not reconnect
 * after 4000–4099.
 *
 * @param err The error.
 * @returns The close code.
 */
export function closeCodeFor(err: unknown): number {
  const { body, status } = toErrorBody(err);
  if (body.code === "invalid_token") return CLOSE_BAD_TOKEN;
  if (body.code === "forbidden" || status === 403) return CLOSE_FORBIDDEN;
  if (status === 404) return CLOSE_NOT_FOUND;
  if (status >= 500) return CLOSE_INTERNAL;
  return CLOSE_REFUSED;
}
