/**
 * One pooled HTTP/1.1 connection of {@linkcode denoTransport} and the streams
 * over it: the request body going out, the response body coming in (by
 * length, chunked, or until the close). Private to the gateway.
 *
 * @module
 */
import { type BodyFraming, type ChunkedDecoder, latin1Bytes } from "./_http1.ts";

/** Bytes read from a socket at a time. */
export const READ_SIZE = 16_384;

/** One socket and its read buffer. */
export class Connection {
  readonly conn: Deno.Conn;
  buf = new Uint8Array(READ_SIZE);
  /** Bytes of `buf` received and not yet used. */
  len = 0;
  /** A read started while idle, taken over by the next response. */
  pending: Promise<number | null> | null = null;
  idle = false;
  idleSince = 0;
  reused = false;
  closed = false;
  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** Reads more bytes after `len`, growing the buffer up to `max`. */
  read(max: number): Promise<number | null> {
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      return p;
    }
    if (this.len === this.buf.length) {
      if (this.len >= max) return Promise.reject(new TypeError("Upstream response head too large"));
      const grown = new Uint8Array(Math.min(max, this.buf.length * 2));
      grown.set(this.buf);
      this.buf = grown;
    }
    return this.conn.read(this.buf.subarray(this.len));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let at = await this.conn.write(bytes);
    while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** Streams the request body: as many bytes as declared, or chunked. */
export async function sendBody(
  c: Connection,
  body: ReadableStream<Uint8Array>,
  framing: BodyFraming,
): Promise<void> {
  const reader = body.getReader();
  let sent = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      sent += value.length;
      if (framing === "chunked") {
        const size = latin1Bytes(`${value.length.toString(16)}\r\n`);
        const out = new Uint8Array(size.length + value.length + 2);
        out.set(size);
        out.set(value, size.length);
        out[out.length - 2] = 13;
        out[out.length - 1] = 10;
        await c.write(out);
      } else {
        if (sent > (framing as number)) throw new TypeError("Request body longer than its length");
        await c.write(value);
      }
    }
    if (framing === "chunked") await c.write(LAST_CHUNK);
    else if (sent !== framing) throw new TypeError("Request body shorter than its length");
  } catch (err) {
    reader.cancel(err).catch(() => {});
    throw err;
  }
}

const LAST_CHUNK = new Uint8Array([48, 13, 10, 13, 10]);

/** Reads one more block from the socket, or `null` at its end. */
async function readBlock(c: Connection): Promise<Uint8Array | null> {
  c.len = 0;
  const n = await c.read(READ_SIZE);
  return n === null ? null : c.buf.slice(0, n);
}

/** A body delimited by its length (`left` bytes after `first`) or, with `left` -1, by the close. */
export function plainStream(
  c: Connection,
  first: Uint8Array,
  left: number,
  finish: (reusable: boolean) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length > 0) controller.enqueue(first);
    },
    async pull(controller) {
      const block = await readBlock(c).catch(() => null);
      if (block === null) {
        if (left === -1) {
          controller.close();
          return finish(false);
        }
        controller.error(new TypeError("The upstream closed the connection mid-body"));
        return finish(false);
      }
      if (left !== -1) {
        if (block.length > left) {
          controller.enqueue(block.subarray(0, left));
          controller.close();
          return finish(false);
        }
        left -= block.length;
      }
      controller.enqueue(block);
      if (left === 0) {
        controller.close();
        c.len = 0;
        finish(true);
      }
    },
    cancel: () => c.destroy(),
  }, { highWaterMark: 0 });
}

/** A chunked body, decoded as it arrives. */
export function chunkedStream(
  c: Connection,
  decoder: ChunkedDecoder,
  first: Uint8Array[],
  finish: (reusable: boolean) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of first) controller.enqueue(p.slice());
    },
    async pull(controller) {
      for (;;) {
        const block = await readBlock(c).catch(() => null);
        if (block === null) {
          controller.error(new TypeError("The upstream closed the connection mid-body"));
          return finish(false);
        }
        const pieces: Uint8Array[] = [];
        let used: number;
        try {
          used = decoder.feed(block, pieces);
        } catch (err) {
          controller.error(err);
          return finish(false);
        }
        for (const p of pieces) controller.enqueue(p);
        if (decoder.done) {
          controller.close();
          c.len = 0;
          return finish(used === block.length);
        }
        if (pieces.length > 0) return;
      }
    },
    cancel: () => c.destroy(),
  }, { highWaterMark: 0 });
}
