/**
 * The subset of the WHATWG `WebSocket` that switchyard needs on either end of
 * a connection. Deno's `Deno.upgradeWebSocket` socket, a Workers
 * `WebSocketPair` end, the `ws` package's socket on Node, a browser
 * `WebSocket` and {@linkcode socketPair} all satisfy it.
 *
 * @module
 */

/** `readyState` values, as in the WHATWG `WebSocket`. */
export const CONNECTING = 0;
/** The socket is open. */
export const OPEN = 1;
/** The socket is closing. */
export const CLOSING = 2;
/** The socket is closed. */
export const CLOSED = 3;

/** A message event: text arrives as `string`, binary as `ArrayBuffer` or a view. */
export interface SocketMessageEvent {
  /** The payload. */
  readonly data: unknown;
}

/** A close event. */
export interface SocketCloseEvent {
  /** Close code (RFC 6455 §7.4). */
  readonly code: number;
  /** Close reason. */
  readonly reason: string;
}

/** A WebSocket-shaped object. */
export interface SocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The negotiated sub-protocol, when known. */
  readonly protocol?: string;
  /**
   * Bytes queued by `send()` and not yet written to the network, where the
   * socket tells (browsers, Deno, `ws`); `undefined` elsewhere.
   */
  readonly bufferedAmount?: number;
  /** Binary type; switchyard sets `"arraybuffer"` where it can. */
  binaryType?: string;
  /** Sends a text or binary frame. */
  send(data: string | ArrayBuffer | Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Adds a listener. */
  addEventListener(type: "open", listener: (ev: unknown) => void): void;
  /** Adds a listener. */
  addEventListener(type: "message", listener: (ev: SocketMessageEvent) => void): void;
  /** Adds a listener. */
  addEventListener(type: "close", listener: (ev: SocketCloseEvent) => void): void;
  /** Adds a listener. */
  addEventListener(type: "error", listener: (ev: unknown) => void): void;
}

/**
 * Turns a message event payload into `string` or `Uint8Array`.
 *
 * @param data `ev.data` of a message event.
 * @returns Text as a string, anything binary as bytes, `undefined` for other types (e.g. a `Blob`).
 */
export function frameData(data: unknown): string | Uint8Array | undefined {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return undefined;
}

type Listener = (ev: never) => void;

/** One end of an in-process socket pair. */
class PairSocket implements SocketLike {
  readyState = OPEN;
  protocol: string;
  binaryType = "arraybuffer";
  peer!: PairSocket;
  #listeners: Record<string, Listener[]> = {};
  #held: Record<string, unknown[]> = {};

  constructor(protocol: string) {
    this.protocol = protocol;
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    if (this.readyState !== OPEN) {
      throw new DOMException("WebSocket is not open", "InvalidStateError");
    }
    // Copy binary data: the sender may reuse its buffer, as on a real network.
    const payload = typeof data === "string"
      ? data
      : (data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0))).buffer;
    const peer = this.peer;
    queueMicrotask(() => peer.dispatch("message", { data: payload }));
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSED;
    const peer = this.peer;
    queueMicrotask(() => {
      this.dispatch("close", { code, reason });
      if (peer.readyState < CLOSING) {
        peer.readyState = CLOSED;
        peer.dispatch("close", { code, reason });
      }
    });
  }

  addEventListener(type: string, listener: (ev: never) => void): void {
    (this.#listeners[type] ??= []).push(listener);
    if (type === "open") queueMicrotask(() => (listener as (ev: unknown) => void)({}));
    const held = this.#held[type];
    if (held) {
      delete this.#held[type];
      queueMicrotask(() => {
        for (const ev of held) this.dispatch(type, ev);
      });
    }
  }

  dispatch(type: string, ev: unknown): void {
    const listeners = this.#listeners[type];
    if (!listeners && (type === "message" || type === "close")) {
      // A real socket buffers what arrives before the page listens; so does the pair.
      (this.#held[type] ??= []).push(ev);
      return;
    }
    for (const l of listeners ?? []) {
      try {
        (l as (ev: unknown) => void)(ev);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/**
 * Creates two connected in-process sockets, like Workers' `WebSocketPair`.
 * Frames are delivered in order on a later microtask; binary frames are copied
 * and arrive as `ArrayBuffer`; closing one end closes both with the same code.
 * Both ends start open; an `open` listener is called on the next microtask.
 *
 * @param protocol The sub-protocol both ends report.
 * @returns `[client, server]`.
 *
 * @example Echo over a pair
 * ```ts
 * import { socketPair } from "./socket.ts";
 * const [client, server] = socketPair();
 * server.addEventListener("message", (ev) => server.send(ev.data as string));
 * const echoed = new Promise((resolve) => client.addEventListener("message", (ev) => resolve(ev.data)));
 * client.send("hi");
 * console.assert((await echoed) === "hi");
 * ```
 */
export function socketPair(protocol = ""): [SocketLike, SocketLike] {
  const a = new PairSocket(protocol);
  const b = new PairSocket(protocol);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
