/**
 * {@linkcode denoTransport}: the proxy's HTTP transport on Deno, an HTTP/1.1
 * client over `Deno.connect` / `Deno.connectTls` with keep-alive pools.
 *
 * Why not `fetch`: going through Deno's `fetch` costs a forwarded request
 * about 75 µs of CPU on top of serving it, most of it building and tracking
 * `Request`, `Response` and `AbortSignal` objects, and a per-request timeout
 * needs an `AbortSignal` that Deno then tracks. Here a request is one write
 * and, for a short answer, one read; the timeout closes the socket. The body
 * passes through undecoded, so `Content-Encoding` and `Content-Length` stay
 * as the upstream sent them. The framing rules are in `_http1.ts`.
 *
 * Not covered (use {@linkcode fetchTransport} for these): `HTTP_PROXY`
 * environment proxies, HTTP/2 upstreams.
 *
 * @module
 */
import { concatBytes } from "../common/bytes.ts";
import { type Deadline, deadlines } from "../common/deadlines.ts";
import {
  type BodyFraming,
  ChunkedDecoder,
  declaredLength,
  headEnd,
  latin1Bytes,
  latin1String,
  parseResponseHead,
  requestHead,
  type ResponseHead,
} from "./_http1.ts";
import { chunkedStream, Connection, plainStream, sendBody } from "./_http1_connection.ts";
import { timeoutError } from "./_timeout.ts";
import type { ProxyTransport, TransportRequest } from "./transport.ts";

/** Options of {@linkcode denoTransport}. */
export interface DenoTransportOptions {
  /** Idle connections kept per origin. @default {256} */
  maxIdlePerOrigin?: number;
  /**
   * Milliseconds an idle connection may wait before it is closed instead of
   * reused; keep it below the upstream's keep-alive timeout (Node's is 5 s).
   * `0` sends every request on a new connection.
   * @default {4000}
   */
  idleTimeout?: number;
  /** The largest response head accepted, in bytes. @default {65536} */
  maxHeadSize?: number;
  /** PEM certificates to trust for `https:` upstreams, besides the defaults. */
  caCerts?: string[];
}

/** Where connections go: one per scheme, host and port. */
interface Origin {
  /** `scheme://host[:port]`, the pool's key. */
  key: string;
  hostname: string;
  port: number;
  tls: boolean;
  /** The `Host` field. */
  host: string;
  idle: Connection[];
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/**
 * A {@linkcode ProxyTransport} for Deno: HTTP/1.1 over `Deno.connect` (and
 * `Deno.connectTls` for `https:`), with a keep-alive pool per origin.
 * {@linkcode RequestProxy} and {@linkcode RuntimeRouter} use it by default on
 * Deno; call their `close()` (or this transport's) to close idle connections.
 *
 * - Short answers that arrive with their headers are answered as bytes;
 *   longer, chunked or unfinished ones (SSE) stream with backpressure.
 * - Request bodies stream, framed by their `Content-Length` (the stream must
 *   match it) or chunked.
 * - The timeout covers connecting, sending the head and the wait for the
 *   response headers (504); then the socket is closed. Refused connections
 *   and malformed answers reject with a `TypeError` (502).
 * - An idle connection the upstream closed is noticed at once (a read is
 *   always pending on it); a request that meets a stale connection anyway is
 *   sent again on a fresh one when it has no body and an idempotent method.
 * - Idle sockets do not keep the process alive.
 *
 * @param options Pool sizes, timeouts and TLS roots.
 * @returns The transport.
 * @throws {RangeError} When `idleTimeout` is negative.
 *
 * @example Proxy through a dedicated pool
 * ```ts
 * import { denoTransport, MemoryRouteStore, RuntimeRouter } from "@switchyard/core/gateway";
 * const transport = denoTransport({ maxIdlePerOrigin: 64 });
 * const router = new RuntimeRouter(new MemoryRouteStore({}), { transport });
 * router.close();
 * ```
 */
export function denoTransport(options: DenoTransportOptions = {}): ProxyTransport {
  return new DenoTransport(options);
}

/**
 * Whether {@linkcode denoTransport} can run here (`Deno.connect` exists).
 *
 * @returns `true` on Deno.
 *
 * @example Pick the Deno transport where it runs
 * ```ts
 * import { denoTransport, denoTransportAvailable, fetchTransport } from "@switchyard/core/gateway";
 * console.assert(denoTransportAvailable()); // this example runs on Deno
 * const transport = denoTransportAvailable() ? denoTransport() : fetchTransport();
 * transport.close?.();
 * ```
 */
export function denoTransportAvailable(): boolean {
  const d = (globalThis as { Deno?: { connect?: unknown; version?: unknown } }).Deno;
  return typeof d?.connect === "function" && typeof d.version === "object";
}

class DenoTransport implements ProxyTransport {
  readonly #origins = new Map<string, Origin>();
  readonly #maxIdle: number;
  readonly #idleTimeout: number;
  readonly #maxHead: number;
  readonly #caCerts: string[] | undefined;

  constructor(options: DenoTransportOptions) {
    this.#maxIdle = options.maxIdlePerOrigin ?? 256;
    this.#idleTimeout = options.idleTimeout ?? 4000;
    if (!(this.#idleTimeout >= 0)) {
      throw new RangeError(`idleTimeout must be ≥ 0 ms, got ${this.#idleTimeout}`);
    }
    this.#maxHead = options.maxHeadSize ?? 65_536;
    this.#caCerts = options.caCerts;
  }

  async send(url: string, request: TransportRequest): Promise<Response> {
    const start = url.indexOf("//") + 2;
    let slash = url.indexOf("/", start);
    if (slash === -1) slash = url.length;
    const origin = this.#origin(url.slice(0, slash), start);
    const hash = url.indexOf("#", slash);
    const target = slash === url.length ? "/" : url.slice(slash, hash === -1 ? undefined : hash);
    const { method, body, timeout } = request;
    const framing: BodyFraming = body === null
      ? null
      : (declaredLength(request.headers) === -1 ? "chunked" : declaredLength(request.headers));
    const head = latin1Bytes(requestHead(method, target, origin.host, request.headers, framing));
    const exchange = new Exchange(timeout);
    const retry = body === null && IDEMPOTENT.has(method);
    try {
      for (;;) {
        const c = this.#take(origin) ?? await exchange.connect(() => this.#connect(origin));
        exchange.conn = c;
        try {
          return await this.#exchange(origin, c, exchange, method, head, body, framing);
        } catch (err) {
          c.destroy();
          // A kept-alive connection the upstream had closed: nothing was answered, try a new one.
          if (exchange.timedOut || !retry || !c.reused || exchange.received) throw err;
        }
      }
    } catch (err) {
      if (exchange.timedOut) throw timeoutError(timeout);
      // Socket errors (reset, broken pipe) are network errors, as fetch reports them.
      if (err instanceof TypeError) throw err;
      throw new TypeError(`Upstream request failed: ${(err as Error)?.message ?? err}`, {
        cause: err,
      });
    } finally {
      exchange.settle();
    }
  }

  /** Closes the idle connections; those still answering close when they finish. */
  close(): void {
    for (const origin of this.#origins.values()) {
      for (const c of origin.idle) c.destroy();
      origin.idle.length = 0;
    }
    this.#origins.clear();
  }

  #origin(key: string, start: number): Origin {
    let origin = this.#origins.get(key);
    if (origin !== undefined) return origin;
    const tls = key.startsWith("https:");
    const host = key.slice(start);
    const bracket = host.lastIndexOf("]");
    const colon = host.lastIndexOf(":");
    const hasPort = colon > bracket;
    const name = hasPort ? host.slice(0, colon) : host;
    origin = {
      key,
      hostname: name.startsWith("[") ? name.slice(1, -1) : name,
      port: hasPort ? Number(host.slice(colon + 1)) : tls ? 443 : 80,
      tls,
      host,
      idle: [],
    };
    this.#origins.set(key, origin);
    return origin;
  }

  #take(origin: Origin): Connection | undefined {
    const idle = origin.idle;
    const now = performance.now();
    for (let c = idle.pop(); c !== undefined; c = idle.pop()) {
      if (c.closed) continue;
      if (now - c.idleSince >= this.#idleTimeout) {
        c.destroy();
        continue;
      }
      c.idle = false;
      c.reused = true;
      c.conn.ref();
      return c;
    }
    return undefined;
  }

  async #connect(origin: Origin): Promise<Connection> {
    try {
      const opts = { hostname: origin.hostname, port: origin.port };
      const conn = origin.tls
        ? await Deno.connectTls({ ...opts, caCerts: this.#caCerts })
        : await Deno.connect(opts);
      if (!origin.tls) (conn as Deno.TcpConn).setNoDelay(true);
      return new Connection(conn);
    } catch (err) {
      throw new TypeError(`Cannot connect to ${origin.host}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Returns a connection to its pool once its response is read. */
  #release(origin: Origin, c: Connection): void {
    if (c.closed || c.len !== 0 || origin.idle.length >= this.#maxIdle) return c.destroy();
    // After close() the pools are new: connections of the old ones are not kept.
    if (this.#origins.get(origin.key) !== origin) return c.destroy();
    c.idle = true;
    const now = c.idleSince = performance.now();
    // Prune the oldest idle connection when it has waited too long (amortised: one per release).
    const oldest = origin.idle[0];
    if (oldest !== undefined && (oldest.closed || now - oldest.idleSince >= this.#idleTimeout)) {
      origin.idle.shift();
      oldest.destroy();
    }
    c.conn.unref();
    // Notice at once when the upstream closes the idle connection (or talks out of turn).
    const watch = c.conn.read(c.buf);
    c.pending = watch;
    watch.then((n) => {
      if (c.idle) {
        if (n !== null) c.len = n;
        c.destroy();
      }
    }, () => c.destroy());
    origin.idle.push(c);
  }

  async #exchange(
    origin: Origin,
    c: Connection,
    ex: Exchange,
    method: string,
    head: Uint8Array,
    body: ReadableStream<Uint8Array> | null,
    framing: BodyFraming,
  ): Promise<Response> {
    await c.write(head);
    const upload = body === null ? null : sendBody(c, body, framing);
    upload?.catch(() => c.destroy());
    let scanned = 0;
    let parsed: ResponseHead;
    let end: number;
    for (;;) {
      end = headEnd(c.buf, Math.max(0, scanned - 3), c.len);
      if (end === -1) {
        scanned = c.len;
        const n = await c.read(this.#maxHead);
        if (n === null) throw new TypeError("The upstream closed the connection before answering");
        c.len += n;
        ex.received = true;
        continue;
      }
      parsed = parseResponseHead(latin1String(c.buf.subarray(0, end - 4)), method);
      if (parsed.status >= 200) break;
      if (parsed.status === 101) throw new TypeError("The upstream switched protocols unasked");
      // 1xx interim responses (100 Continue, 103 Early Hints) are not passed on.
      c.buf.copyWithin(0, end, c.len);
      c.len -= end;
      scanned = 0;
    }
    ex.settle();
    const finish = (reusable: boolean) => {
      if (!reusable || !parsed.keepAlive) return c.destroy();
      if (upload === null) return this.#release(origin, c);
      // Reuse only once the whole request body went out.
      upload.then(() => this.#release(origin, c), () => c.destroy());
    };
    const init = { status: parsed.status, statusText: parsed.statusText, headers: parsed.headers };
    const avail = c.len - end;
    if (parsed.framing === "none") {
      c.len = avail;
      finish(avail === 0);
      return new Response(null, init);
    }
    if (parsed.framing === "length" && avail >= parsed.length) {
      const bytes = c.buf.slice(end, end + parsed.length);
      c.len = avail - parsed.length;
      finish(c.len === 0);
      return new Response(bytes, init);
    }
    const first = c.buf.slice(end, c.len);
    c.len = 0;
    if (parsed.framing === "chunked") {
      const decoder = new ChunkedDecoder();
      const pieces: Uint8Array[] = [];
      const used = decoder.feed(first, pieces);
      if (decoder.done) {
        finish(used === first.length);
        return new Response(concatBytes(pieces), init);
      }
      return new Response(chunkedStream(c, decoder, pieces, finish), init);
    }
    const left = parsed.framing === "length" ? parsed.length - first.length : -1;
    return new Response(plainStream(c, first, left, finish), init);
  }
}

/** One request's deadline: on expiry the socket is closed, which ends every wait on it. */
class Exchange {
  conn: Connection | null = null;
  timedOut = false;
  /** Whether any byte of a response arrived (then the request is never sent again). */
  received = false;
  #deadline: Deadline | null;
  #onExpire: (() => void) | null = null;

  constructor(timeout: number) {
    this.#deadline = deadlines.add(timeout, this.#fire);
  }

  readonly #fire = (): void => {
    if (this.#deadline === null) return;
    this.timedOut = true;
    this.conn?.destroy();
    this.#onExpire?.();
  };

  /** Connects, giving up when the deadline passes first (a late socket is closed). */
  connect(open: () => Promise<Connection>): Promise<Connection> {
    return new Promise((resolve, reject) => {
      this.#onExpire = () => reject(new TypeError("timed out while connecting"));
      open().then((c) => {
        this.#onExpire = null;
        if (this.timedOut) {
          c.destroy();
          reject(new TypeError("timed out while connecting"));
        } else resolve(c);
      }, reject);
    });
  }

  /** The response headers arrived (or the exchange ended): the deadline no longer applies. */
  settle(): void {
    this.#deadline?.cancel();
    this.#deadline = null;
    this.conn = null;
  }
}
