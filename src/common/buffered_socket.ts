/**
 * A socket wrapper that keeps early events. A WebSocket (or an in-process
 * pair) may deliver its first frames, or even its close, before the code
 * that asked for the socket has added listeners: promise hops between the
 * `open` event and the caller's `await` are enough. Wrapping a socket the
 * moment it is created holds `message` events until the first `message`
 * listener is added, and a `close` event until the first `close` listener,
 * then replays them in order.
 *
 * @module
 */
import type { SocketCloseEvent, SocketLike, SocketMessageEvent } from "./socket.ts";

type Listener = (ev: never) => void;

class BufferedSocket implements SocketLike {
  #inner: SocketLike;
  #held: { message: SocketMessageEvent[]; close: SocketCloseEvent[] } = { message: [], close: [] };
  #listeners: { message?: Listener[]; close?: Listener[] } = {};

  constructor(inner: SocketLike) {
    this.#inner = inner;
    inner.addEventListener("message", (ev) => this.#event("message", ev));
    inner.addEventListener("close", (ev) => this.#event("close", ev));
  }

  get readyState(): number {
    return this.#inner.readyState;
  }

  get bufferedAmount(): number | undefined {
    return this.#inner.bufferedAmount;
  }

  get protocol(): string | undefined {
    return this.#inner.protocol;
  }

  get binaryType(): string | undefined {
    return this.#inner.binaryType;
  }

  set binaryType(value: string | undefined) {
    this.#inner.binaryType = value;
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    this.#inner.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#inner.close(code, reason);
  }

  addEventListener(type: string, listener: (ev: never) => void): void {
    if (type !== "message" && type !== "close") {
      this.#inner.addEventListener(type as "open", listener as (ev: unknown) => void);
      return;
    }
    (this.#listeners[type] ??= []).push(listener);
    const held = this.#held[type];
    if (held.length === 0) return;
    this.#held[type] = [];
    for (const ev of held) call(listener, ev);
  }

  #event(type: "message" | "close", ev: SocketMessageEvent | SocketCloseEvent): void {
    const listeners = this.#listeners[type];
    if (!listeners) {
      (this.#held[type] as unknown[]).push(ev);
      return;
    }
    for (const l of [...listeners]) call(l, ev);
  }
}

function call(listener: Listener, ev: unknown): void {
  try {
    (listener as (ev: unknown) => void)(ev);
  } catch (err) {
    console.error("Socket listener threw", err);
  }
}

/**
 * Wraps a socket so that no `message` or `close` event is lost before the
 * first listener of its type is added. Call it right where the socket is
 * created.
 *
 * @param socket A socket that may already be receiving.
 * @returns The wrapped socket (same `send`, `close`, `readyState`).
 *
 * @example Frames sent before the listener still arrive
 * ```ts
 * import { bufferMessages } from "./buffered_socket.ts";
 * import { socketPair } from "./socket.ts";
 * const [client, server] = socketPair();
 * const buffered = bufferMessages(client);
 * server.send("early");
 * await Promise.resolve();
 * const got = await new Promise((r) => buffered.addEventListener("message", (ev) => r(ev.data)));
 * console.assert(got === "early");
 * ```
 */
export function bufferMessages(socket: SocketLike): SocketLike {
  return socket instanceof BufferedSocket ? socket : new BufferedSocket(socket);
}
