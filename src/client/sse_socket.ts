/**
 * Adapts an SSE connection (one `text/event-stream` response for server
 * messages, one `POST /actors/message` per client message) to a
 * {@linkcode SocketLike}, so connection code is the same over every
 * transport.
 *
 * Stream format agreed with the server: every server message is one SSE
 * event whose `data:` is the JSON message (JSON whatever the connection's
 * encoding; client posts use the requested encoding); an `events` batch is
 * one message, so one SSE event carries the events of one tick. An event of type
 * `close` with data `{ "code": number, "reason": string }` means the server
 * ended the connection on purpose with that close code; a stream that ends
 * without it is an abnormal drop (code 1006) and the client resumes.
 *
 * @module
 */
import { decode } from "../common/encoding.ts";
import { CLOSED, CLOSING, OPEN, type SocketLike } from "../common/socket.ts";
import { SseParser } from "./sse_parser.ts";
import { toCoded } from "./_errors.ts";

/** Sends one client message over HTTP; rejects with a coded error. */
export type SsePost = (
  body: string | Uint8Array,
  conn: { connId: string; token: string },
) => Promise<void>;

/** Options of {@linkcode SseSocket}. */
export interface SseSocketOptions {
  /** The `text/event-stream` response (status 2xx). */
  response: Response;
  /** Aborts the underlying request. */
  abort: AbortController;
  /** Posts a client message; called one at a time, in order. */
  post: SsePost;
}

type Listener = (ev: never) => void;

/**
 * A WebSocket-shaped view of an SSE connection. It is open from the start;
 * it reads the stream once a `message` listener is added (so no message is
 * lost before that), learns the connection id and token from the `init`
 * message, and posts sent frames one after another (so a subscription
 * always reaches the actor before a later action). A failed post becomes an
 * `error` message for each action id it carried (or a connection-level
 * error).
 * `close()` aborts the stream; the server then keeps the connection until
 * its reconnect window ends.
 *
 * @example Wrap a stream
 * ```ts ignore
 * const socket = new SseSocket({ response, abort, post });
 * socket.addEventListener("message", (ev) => console.log(ev.data));
 * ```
 */
export class SseSocket implements SocketLike {
  /** 1 until closed, then 3. */
  readyState: number = OPEN;
  /** Always empty. */
  readonly protocol = "";
  /** Ignored: SSE frames are always text. */
  binaryType = "arraybuffer";
  #opts: SseSocketOptions;
  #listeners: Record<string, Listener[]> = {};
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #started = false;
  #chain: Promise<void> = Promise.resolve();
  #conn: { connId: string; token: string } | undefined;

  /** @param options The response, its abort controller and how to post messages. */
  constructor(options: SseSocketOptions) {
    this.#opts = options;
  }

  /**
   * Queues a client message; posts run one at a time, in order.
   *
   * @param data An encoded client message.
   * @throws {DOMException} `InvalidStateError` when the socket is closed.
   */
  send(data: string | ArrayBuffer | Uint8Array): void {
    if (this.readyState !== OPEN) {
      throw new DOMException("SSE connection is not open", "InvalidStateError");
    }
    const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    this.#chain = this.#chain.then(() => this.#post(frame));
  }

  /**
   * Aborts the stream and reports a close event with the given code.
   *
   * @param code Close code reported to listeners. @default {1000}
   * @param reason Close reason. @default {""}
   */
  close(code = 1000, reason = ""): void {
    this.#finish(code, reason);
  }

  /**
   * Adds a listener. `open` listeners run on the next microtask; the first
   * `message` listener starts reading the stream.
   *
   * @param type Event type.
   * @param listener The listener.
   */
  addEventListener(type: string, listener: (ev: never) => void): void {
    (this.#listeners[type] ??= []).push(listener);
    if (type === "open" && this.readyState === OPEN) {
      queueMicrotask(() => (listener as (ev: unknown) => void)({}));
    }
    if (type === "message" && !this.#started) {
      this.#started = true;
      queueMicrotask(() => this.#read());
    }
  }

  #dispatch(type: string, ev: unknown): void {
    for (const l of this.#listeners[type] ?? []) {
      try {
        (l as (ev: unknown) => void)(ev);
      } catch (err) {
        console.error(`SSE "${type}" listener threw`, err);
      }
    }
  }

  #finish(code: number, reason: string): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSED;
    this.#opts.abort.abort();
    const body = this.#reader ?? this.#opts.response.body;
    body?.cancel().catch(() => {});
    queueMicrotask(() => this.#dispatch("close", { code, reason }));
  }

  async #read(): Promise<void> {
    const body = this.#opts.response.body;
    if (!body || this.readyState !== OPEN) return this.#finish(1006, "SSE stream has no body");
    const reader = this.#reader = body.getReader();
    const parser = new SseParser();
    try {
      while (this.readyState === OPEN) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const ev of parser.push(value)) {
          if (this.readyState !== OPEN) return;
          if (ev.event === "close") {
            const info = safeJson(ev.data) as { code?: unknown; reason?: unknown } | undefined;
            const code = typeof info?.code === "number" ? info.code : 1000;
            return this.#finish(code, typeof info?.reason === "string" ? info.reason : "");
          }
          if (ev.event !== "message") continue;
          this.#sniff(ev.data);
          this.#dispatch("message", { data: ev.data });
        }
      }
    } catch {
      // Aborted by close(), or the network failed: both end below.
    }
    this.#finish(1006, "SSE stream ended");
  }

  #sniff(data: string): void {
    if (this.#conn !== undefined && !data.includes('"init"')) return;
    const msg = safeJson(data) as { t?: unknown; connId?: unknown; token?: unknown } | undefined;
    if (msg?.t === "init" && typeof msg.connId === "string" && typeof msg.token === "string") {
      this.#conn = { connId: msg.connId, token: msg.token };
    }
  }

  async #post(frame: string | Uint8Array): Promise<void> {
    if (this.readyState !== OPEN) return;
    try {
      if (!this.#conn) throw new TypeError("SSE connection has no id yet");
      await this.#opts.post(frame, this.#conn);
    } catch (err) {
      if (this.readyState !== OPEN) return;
      const e = toCoded(err);
      // The frame may be a batch: every action in it fails with the post.
      const ids: number[] = [];
      try {
        const v = decode(frame);
        for (const m of (Array.isArray(v) ? v : [v]) as Array<{ t?: unknown; id?: unknown }>) {
          if (m?.t === "action" && typeof m.id === "number") ids.push(m.id);
        }
      } catch { /* not ours to judge */ }
      const error = (id?: number) => {
        const msg: Record<string, unknown> = { t: "error", code: e.code, message: e.message };
        if (id !== undefined) msg.id = id;
        if (e.metadata !== undefined) msg.metadata = e.metadata;
        return msg;
      };
      const out = ids.length === 0
        ? error()
        : ids.length === 1
        ? error(ids[0])
        : ids.map((id) => error(id));
      this.#dispatch("message", { data: JSON.stringify(out) });
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
