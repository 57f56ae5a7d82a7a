/**
 * The client side of frame batching (`actor_conn.ts`): messages sent in the
 * same tick go out together, as lists of messages (see
 * `src/protocol/messages.ts`). One message alone is sent as itself.
 *
 * Frames are kept to {@linkcode FRAME_TARGET_SIZE} where they can be (a
 * longer message goes alone). Deno's `WebSocket` client writes a frame with
 * a payload of 1,025–65,535 bytes as two writes (header, then payload) on a
 * socket with Nagle's algorithm on: the payload then waits for the server's
 * delayed ACK, about 40 ms on Linux, whenever nothing else is in flight.
 * Frames up to 1,024 bytes go in one write. Browsers and Node's `ws` set
 * `TCP_NODELAY` and do not care; several small frames cost them little.
 *
 * @module
 */
import { encodeCbor, type Encoding } from "../common/encoding.ts";
import { OPEN, type SocketLike } from "../common/socket.ts";
import { type ClientMessage, MAX_MESSAGES_PER_FRAME } from "../protocol/messages.ts";

/** Largest batch frame the client builds, bytes (see the module doc). */
export const FRAME_TARGET_SIZE = 1024;

/** CBOR array header for `n` items (n < 65536). */
function cborArrayHeader(n: number): number[] {
  if (n < 24) return [0x80 + n];
  if (n < 0x100) return [0x98, n];
  return [0x99, n >> 8, n & 0xff];
}

/**
 * Packs encoded messages, in order, into as few frames as fit
 * {@linkcode FRAME_TARGET_SIZE} and {@linkcode MAX_MESSAGES_PER_FRAME}.
 *
 * @param items Encoded messages (JSON text or CBOR bytes).
 * @param encoding Which of the two they are.
 * @returns The frames.
 */
export function packFrames(
  items: Array<string | Uint8Array>,
  encoding: Encoding,
): Array<string | Uint8Array> {
  const out: Array<string | Uint8Array> = [];
  let start = 0;
  let size = 0; // items' bytes (JSON: characters, an estimate for non-ASCII text)
  const flush = (end: number) => {
    if (end - start === 1) out.push(items[start]!);
    else if (encoding === "json") out.push(`[${(items.slice(start, end) as string[]).join(",")}]`);
    else {
      const header = cborArrayHeader(end - start);
      const frame = new Uint8Array(header.length + size);
      frame.set(header, 0);
      let at = header.length;
      for (let i = start; i < end; i++) {
        frame.set(items[i] as Uint8Array, at);
        at += items[i]!.length;
      }
      out.push(frame);
    }
    start = end;
    size = 0;
  };
  for (let i = 0; i < items.length; i++) {
    const len = items[i]!.length;
    // 3 bytes of list overhead at most (JSON brackets + comma, CBOR header).
    if (
      i > start && (size + len + (i - start) + 3 > FRAME_TARGET_SIZE ||
        i - start === MAX_MESSAGES_PER_FRAME)
    ) flush(i);
    size += len;
  }
  if (items.length > start) flush(items.length);
  return out;
}

/**
 * Queues client messages for one transport and sends them on a microtask,
 * in order, packed by {@linkcode packFrames}. Messages queued for a
 * transport that was replaced, or that is no longer open, are dropped: the
 * connection settles what was in flight on it when it closes.
 */
export class Outbox {
  #encoding: Encoding;
  #socket: SocketLike | undefined;
  #queue: ClientMessage[] = [];

  /** @param encoding The frame encoding. */
  constructor(encoding: Encoding) {
    this.#encoding = encoding;
  }

  /**
   * Queues a message.
   *
   * @param socket The transport it is meant for.
   * @param msg The message.
   */
  push(socket: SocketLike, msg: ClientMessage): void {
    if (socket !== this.#socket) {
      this.#socket = socket;
      this.#queue = [];
    }
    if (this.#queue.push(msg) === 1) queueMicrotask(this.#flush);
  }

  #flush = (): void => {
    const queue = this.#queue;
    const socket = this.#socket;
    if (queue.length === 0 || !socket) return;
    this.#queue = [];
    if (socket.readyState !== OPEN) return;
    const encode = this.#encoding === "json" ? JSON.stringify : encodeCbor;
    const frames = queue.length === 1
      ? [encode(queue[0])]
      : packFrames(queue.map((m) => encode(m)), this.#encoding);
    for (const frame of frames) {
      try {
        socket.send(frame);
      } catch {
        return; // closing: its close event settles what was in flight
      }
    }
  };
}
