/**
 * A scripted HTTP/1.1 upstream on 127.0.0.1: the test reads requests and
 * writes exact response bytes, so framing edge cases and hostile answers can
 * be sent on purpose.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A request as the upstream received it. */
export interface RawRequest {
  head: string;
  body: string;
}

/** One accepted connection. */
export class ScriptedConn {
  readonly conn: Deno.Conn;
  #buf = "";
  #closed = false;
  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await this.conn.read(chunk).catch(() => null);
    if (n === null) return false;
    this.#buf += dec.decode(chunk.subarray(0, n), { stream: true });
    return true;
  }

  /** Reads the next request (head and framed body), or `null` when the peer closed. */
  async request(): Promise<RawRequest | null> {
    let end: number;
    while ((end = this.#buf.indexOf("\r\n\r\n")) === -1) if (!await this.#more()) return null;
    const head = this.#buf.slice(0, end);
    this.#buf = this.#buf.slice(end + 4);
    const length = /\r\ncontent-length: (\d+)/i.exec(head);
    let body = "";
    if (length !== null) {
      while (this.#buf.length < Number(length[1])) if (!await this.#more()) return null;
      body = this.#buf.slice(0, Number(length[1]));
      this.#buf = this.#buf.slice(body.length);
    } else if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      while (!this.#buf.includes("0\r\n\r\n")) if (!await this.#more()) return null;
      const stop = this.#buf.indexOf("0\r\n\r\n") + 5;
      body = decodeChunked(this.#buf.slice(0, stop));
      this.#buf = this.#buf.slice(stop);
    }
    return { head, body };
  }

  /** Writes bytes (a string is sent as Latin-1, one byte per character). */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? Uint8Array.from(data, (c) => c.charCodeAt(0)) : data;
    let at = 0;
    while (at < bytes.length) at += await this.conn.write(bytes.subarray(at));
  }

  /** Waits until the peer closes (or the connection fails). */
  async closed(): Promise<void> {
    while (await this.#more());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }
}

function decodeChunked(s: string): string {
  let out = "";
  for (let i = 0;;) {
    const eol = s.indexOf("\r\n", i);
    const size = parseInt(s.slice(i, eol), 16);
    if (size === 0) return out;
    out += s.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}

/** A scripted upstream. */
export interface RawUpstream {
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Starts a scripted upstream; `script` runs once per accepted connection.
 *
 * @param script Reads requests and writes answers on one connection.
 * @returns The upstream.
 */
export function rawUpstream(
  script: (conn: ScriptedConn, index: number) => Promise<void>,
): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns: ScriptedConn[] = [];
  const running: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      const c = new ScriptedConn(conn);
      conns.push(c);
      running.push(script(c, conns.length - 1).catch(() => {}).finally(() => c.close()));
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return conns.length;
    },
    async close() {
      listener.close();
      await accepting;
      for (const c of conns) c.close();
      await Promise.all(running);
    },
  };
}

/** Serves every request on a connection with `answer` until the peer closes. */
export function everyRequest(
  answer: (req: RawRequest, conn: ScriptedConn) => string | Promise<string>,
): (conn: ScriptedConn) => Promise<void> {
  return async (conn) => {
    for (let req = await conn.request(); req !== null; req = await conn.request()) {
      await conn.write(await answer(req, conn));
    }
  };
}

/** An `HTTP/1.1 200` answer with a `Content-Length` body. */
export function ok(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\ncontent-length: ${enc.encode(body).length}\r\n${extra}\r\n${body}`;
}
