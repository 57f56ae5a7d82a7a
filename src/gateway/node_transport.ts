/**
 * {@linkcode nodeTransport}: the proxy's HTTP transport on Node. It sends
 * requests straight through a dispatcher of the `undici` package — by default
 * its global one — skipping the WHATWG `fetch` layer (request and response
 * objects, spec steps, web-stream plumbing), which costs about twice the CPU
 * per proxied request.
 *
 * The package is imported on the first request without a dispatcher of its
 * own, so loading the gateway imports nothing from Node.
 *
 * @module
 */
import { type Deadline, deadlines } from "../common/deadlines.ts";
import { concatBytes } from "../common/bytes.ts";
import { HOP_BY_HOP } from "./_headers.ts";
import { timeoutError } from "./_timeout.ts";
import type { ProxyTransport, TransportRequest } from "./transport.ts";

/**
 * The part of an undici `Dispatcher` (`Agent`, `Pool`, `Client`, …) the
 * transport uses: `dispatch()` with the callback handler of undici 6 and 7
 * (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`).
 */
export interface UndiciDispatcher {
  /**
   * Starts a request.
   *
   * @param options `origin`, `path`, `method`, `headers`, `body`, timeouts.
   * @param handler The callbacks.
   * @returns `false` when the dispatcher is busy (the request is queued anyway).
   */
  dispatch(options: Record<string, unknown>, handler: object): boolean;
}

/** Options of {@linkcode nodeTransport}. */
export interface NodeTransportOptions {
  /**
   * The undici dispatcher to send through, e.g. a `Pool` or an `Agent` of the
   * `undici` package with its own connection limits or TLS settings.
   * @default {the undici package's global dispatcher (`getGlobalDispatcher()`)}
   */
  dispatcher?: UndiciDispatcher;
  /**
   * Bodies up to this many bytes that arrived together with the response
   * headers are answered as bytes rather than as a stream (cheaper for hosts
   * such as `@hono/node-server`). Longer or unfinished bodies (SSE) stream.
   * @default {65536}
   */
  maxBufferedBody?: number;
}

let loading: Promise<unknown> | undefined;
let undici: { getGlobalDispatcher(): UndiciDispatcher } | undefined;

/**
 * The global dispatcher of the `undici` package (`getGlobalDispatcher()`,
 * which `setGlobalDispatcher()` replaces and Node's `fetch` shares), loaded
 * on first use so the gateway module itself imports nothing from Node.
 *
 * @returns The dispatcher.
 *
 * @example The Node transport over the shared undici dispatcher
 * ```ts
 * import { globalDispatcher, nodeTransport } from "@switchyard/core/gateway";
 * const dispatcher = await globalDispatcher();
 * console.assert(typeof dispatcher.dispatch === "function");
 * const transport = nodeTransport({ dispatcher }); // what nodeTransport() uses by default
 * console.assert(typeof transport.send === "function");
 * ```
 */
export async function globalDispatcher(): Promise<UndiciDispatcher> {
  if (undici === undefined) {
    await (loading ??= import("undici").then((m) => {
      undici = m as unknown as { getGlobalDispatcher(): UndiciDispatcher };
    }));
  }
  return undici!.getGlobalDispatcher();
}

/**
 * Whether {@linkcode nodeTransport} should be preferred here: Node
 * (`navigator.userAgent` is `Node.js/…`, Node 21+). Deno, Bun and Workers
 * have their own user agent.
 *
 * @returns `true` on Node.
 *
 * @example Prefer the Node transport on Node only
 * ```ts
 * import { fetchTransport, nodeTransport, nodeTransportAvailable } from "@switchyard/core/gateway";
 * console.assert(!nodeTransportAvailable()); // Deno has its own user agent
 * const transport = nodeTransportAvailable() ? nodeTransport() : fetchTransport();
 * console.assert(typeof transport.send === "function");
 * ```
 */
export function nodeTransportAvailable(): boolean {
  const ua = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent;
  return typeof ua === "string" && ua.startsWith("Node.js/");
}

/** Statuses whose responses have no body (and `Response` refuses one for). */
function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}

const HOP_SET = new Set(HOP_BY_HOP);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** A `Buffer` as undici hands it over. */
type RawBytes = Uint8Array & { toString(encoding: "latin1"): string };

/**
 * Response fields from undici's raw header list, without hop-by-hop fields and
 * those named in `Connection`. A record when no name needs repeating
 * (`@hono/node-server` writes a record straight to the socket); a list of
 * pairs when `Set-Cookie` repeats (it cannot be joined).
 */
function responseFields(raw: RawBytes[]): Record<string, string> | [string, string][] {
  const n = raw.length;
  const names: string[] = new Array(n >> 1);
  let named: Set<string> | undefined;
  let cookies = 0;
  for (let i = 0; i < n; i += 2) {
    const name = names[i >> 1] = raw[i]!.toString("latin1").toLowerCase();
    if (name === "connection") {
      for (const part of raw[i + 1]!.toString("latin1").split(",")) {
        const token = part.trim().toLowerCase();
        if (token !== "" && TOKEN.test(token)) (named ??= new Set()).add(token);
      }
    } else if (name === "set-cookie") cookies++;
  }
  const pairs: [string, string][] | undefined = cookies > 1 ? [] : undefined;
  const record: Record<string, string> = {};
  for (let i = 0; i < n; i += 2) {
    const name = names[i >> 1]!;
    if (HOP_SET.has(name) || named?.has(name)) continue;
    const value = raw[i + 1]!.toString("latin1");
    if (pairs !== undefined) pairs.push([name, value]);
    else if (record[name] === undefined) record[name] = value;
    else record[name] += ", " + value;
  }
  return pairs ?? record;
}

const EMPTY = new Uint8Array(0);

/**
 * A {@linkcode ProxyTransport} for Node over an undici dispatcher (by default
 * the `undici` package's global one, which follows `setGlobalDispatcher()`). Bodies stream both ways with backpressure and
 * pass through undecoded, so `Content-Encoding` and `Content-Length` stay as
 * the upstream sent them; hop-by-hop response fields are removed; `Expect`
 * is not forwarded (the host's server already answered `100 Continue`, and
 * undici refuses it); the timeout is enforced by the shared deadline sweeper
 * (504) and covers the wait for the response headers only; connection
 * failures reject with a `TypeError` (502), as `fetch` does.
 * {@linkcode RequestProxy} and {@linkcode RuntimeRouter} use it by default on Node.
 *
 * @param options The dispatcher and the buffered-body limit.
 * @returns The transport.
 *
 * @example Send through a dedicated pool of the undici package
 * ```ts
 * import { Agent } from "undici";
 * import {
 *   MemoryRouteStore,
 *   nodeTransport,
 *   RuntimeRouter,
 *   type UndiciDispatcher,
 * } from "@switchyard/core/gateway";
 * const pool = new Agent({ connections: 128 });
 * // undici types `dispatch()` with its own option type, hence the cast.
 * const dispatcher = pool as unknown as UndiciDispatcher;
 * const router = new RuntimeRouter(new MemoryRouteStore({}), {
 *   transport: nodeTransport({ dispatcher }),
 * });
 * router.close();
 * await pool.close();
 * ```
 */
export function nodeTransport(options: NodeTransportOptions = {}): ProxyTransport {
  const own = options.dispatcher;
  const maxBuffered = options.maxBufferedBody ?? 65_536;
  return {
    send(url: string, request: TransportRequest): Promise<Response> {
      if (own === undefined && undici === undefined) {
        return globalDispatcher().then(() => this.send(url, request));
      }
      // Read per request, so a later `setGlobalDispatcher()` is followed.
      const d = own ?? undici!.getGlobalDispatcher();
      const slash = url.indexOf("/", url.indexOf("//") + 2);
      const fields: string[] = [];
      const headers = request.headers;
      for (let i = 0; i < headers.length; i++) {
        const [name, value] = headers[i]!;
        if (name !== "expect") fields.push(name, value);
      }
      const exchange = new Exchange(request.method, request.timeout, maxBuffered);
      try {
        d.dispatch({
          origin: slash === -1 ? url : url.slice(0, slash),
          path: slash === -1 ? "/" : url.slice(slash),
          method: request.method,
          headers: fields,
          body: request.body,
          // The proxy's own deadline covers the headers; a body (SSE) may take as long as it needs.
          headersTimeout: 0,
          bodyTimeout: 0,
        }, exchange);
      } catch (err) {
        exchange.refuse(err);
      }
      return exchange.promise;
    },
  };
}

/**
 * The deadline's view of an exchange. The sweeper keeps a cancelled
 * deadline's callback until it compacts its queue, so the callback holds this
 * small object, emptied once the headers arrive, not the whole exchange.
 */
class Expiry {
  exchange: Exchange | null;
  constructor(exchange: Exchange) {
    this.exchange = exchange;
  }
  readonly fire = (): void => {
    this.exchange?.expire();
  };
}

/** One request: the undici handler (its callback API) and the response it becomes. */
class Exchange {
  readonly promise: Promise<Response>;
  #resolve!: (res: Response) => void;
  #reject!: (err: unknown) => void;
  readonly #method: string;
  readonly #timeout: number;
  readonly #maxBuffered: number;
  readonly #expiry: Expiry;
  readonly #deadline: Deadline;
  #abort: ((reason: unknown) => void) | undefined;
  #resume: (() => void) | undefined;
  #timedOut = false;
  #answered = false;
  #init: ResponseInit | undefined;
  /** Body bytes received before the response is answered. */
  #early: Uint8Array[] | undefined = [];
  #earlyBytes = 0;
  #complete = false;
  #failed: unknown;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #paused = false;

  constructor(method: string, timeout: number, maxBuffered: number) {
    this.promise = new Promise<Response>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#method = method;
    this.#timeout = timeout;
    this.#maxBuffered = maxBuffered;
    this.#expiry = new Expiry(this);
    this.#deadline = deadlines.add(timeout, this.#expiry.fire);
  }

  /** The deadline passed before the response headers. */
  expire(): void {
    this.#timedOut = true;
    if (this.#abort !== undefined) this.#abort(timeoutError(this.#timeout));
    else if (!this.#answered) {
      // Still queued for a connection: answer now, abort once connected.
      this.#answered = true;
      this.#reject(timeoutError(this.#timeout));
    }
  }

  /** `dispatch()` threw (e.g. a field undici refuses). */
  refuse(err: unknown): void {
    this.#settle();
    if (this.#answered) return;
    this.#answered = true;
    this.#reject(err);
  }

  #settle(): void {
    this.#deadline.cancel();
    this.#expiry.exchange = null;
  }

  onConnect(abort: (reason: unknown) => void): void {
    this.#abort = abort;
    if (this.#timedOut) abort(timeoutError(this.#timeout));
  }

  onHeaders(status: number, raw: RawBytes[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // 1xx: undici waits for the final response
    this.#settle();
    if (this.#answered) return true; // timed out while queued; the abort follows
    this.#resume = resume;
    this.#init = { status, statusText, headers: responseFields(raw) };
    // The parser hands over the body bytes of this read right after the
    // headers: a microtask later a short body is complete and is answered as
    // bytes; anything else (long, slow, SSE) streams.
    queueMicrotask(this.#answerSoon);
    return true;
  }

  onData(chunk: Uint8Array): boolean {
    const early = this.#early;
    if (early !== undefined) {
      early.push(chunk);
      this.#earlyBytes += chunk.byteLength;
      if (this.#earlyBytes > this.#maxBuffered && !this.#answered) this.#answer();
      return true;
    }
    const c = this.#controller;
    if (c === undefined) return true;
    c.enqueue(chunk);
    if ((c.desiredSize ?? 1) > 0) return true;
    this.#paused = true;
    return false;
  }

  onComplete(): void {
    this.#complete = true;
    this.#controller?.close();
    this.#controller = undefined;
  }

  onError(err: unknown): void {
    this.#settle();
    if (!this.#answered && this.#init === undefined) {
      this.#answered = true;
      this.#reject(
        this.#timedOut ? timeoutError(this.#timeout) : new TypeError(
          `Upstream request failed: ${(err as Error)?.message ?? err}`,
          { cause: err },
        ),
      );
      return;
    }
    this.#failed = err;
    this.#controller?.error(err);
    this.#controller = undefined;
  }

  readonly #answerSoon = (): void => {
    if (!this.#answered) this.#answer();
  };

  #answer(): void {
    this.#answered = true;
    const chunks = this.#early!;
    this.#early = undefined;
    const init = this.#init!;
    if (this.#method === "HEAD" || nullBodyStatus(init.status!)) {
      this.#resolve(new Response(null, init));
    } else if (this.#complete) {
      const body = chunks.length === 0
        ? EMPTY
        : chunks.length === 1
        ? chunks[0]! as Uint8Array<ArrayBuffer>
        : concatBytes(chunks);
      this.#resolve(new Response(body, init));
    } else {
      this.#resolve(new Response(this.#stream(chunks), init));
    }
  }

  #stream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      start: (c) => {
        for (const chunk of chunks) c.enqueue(chunk);
        if (this.#failed !== undefined) c.error(this.#failed);
        else if (!this.#complete) this.#controller = c;
        else c.close();
      },
      pull: () => {
        if (this.#paused) {
          this.#paused = false;
          this.#resume?.();
        }
      },
      cancel: () => {
        this.#controller = undefined;
        this.#abort?.(new DOMException("The response body was cancelled", "AbortError"));
      },
    });
  }
}
