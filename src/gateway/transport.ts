/**
 * The seam between {@linkcode RequestProxy} and the network: a
 * {@linkcode ProxyTransport} sends one rewritten request and answers the
 * upstream's response once its headers arrived. {@linkcode fetchTransport}
 * works everywhere `fetch` does; {@linkcode defaultTransport} picks
 * {@linkcode denoTransport} on Deno and {@linkcode nodeTransport} on Node
 * (where going through `fetch` costs about twice the CPU per request), and
 * `fetch` elsewhere.
 *
 * @module
 */
import { deadlines } from "../common/deadlines.ts";
import { responseNeedsRewrite, stripHopByHop, wasDecoded } from "./_headers.ts";
import { timeoutError } from "./_timeout.ts";
import { denoTransport, denoTransportAvailable } from "./deno_transport.ts";
import { nodeTransport, nodeTransportAvailable } from "./node_transport.ts";

/** A `fetch`-shaped function. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** One request as handed to a {@linkcode ProxyTransport}. */
export interface TransportRequest {
  /** The method, as received. */
  method: string;
  /**
   * The fields to send, already rewritten by the proxy: lower-case names,
   * hop-by-hop fields and `Host` removed (the transport sets `Host` from the URL).
   */
  headers: [string, string][];
  /** The body to stream upstream, or `null`. */
  body: ReadableStream<Uint8Array> | null;
  /** Milliseconds to wait for the response headers. */
  timeout: number;
}

/**
 * Sends the proxy's HTTP requests.
 *
 * `send()` resolves as soon as the upstream's response headers arrived; the
 * body then streams. The response it answers goes to the client as it is, so
 * the transport removes hop-by-hop fields (RFC 9110 §7.6.1, including the
 * fields named in `Connection`) and, when it decoded a content coding, drops
 * `Content-Encoding` and `Content-Length`. Redirects are not followed.
 *
 * Failures are told apart by the rejection: an error named `TimeoutError`
 * when no response headers arrived within `timeout` (the proxy answers 504),
 * a `TypeError` when the upstream could not be reached or answered something
 * malformed (502, as `fetch` reports network errors), anything else 500.
 */
export interface ProxyTransport {
  /**
   * Sends one request.
   *
   * @param url The absolute target URL.
   * @param request Method, rewritten fields, body and timeout.
   * @returns The response, ready for the client.
   */
  send(url: string, request: TransportRequest): Promise<Response>;
  /**
   * Closes idle pooled connections, when the transport keeps its own
   * (requests still running finish first). The transport stays usable.
   */
  close?(): void;
}

export { timeoutError } from "./_timeout.ts";

/** Removes hop-by-hop fields of a `fetch` response and the coding fields of a decoded body. */
function cleanResponse(res: Response): Response {
  if (!responseNeedsRewrite(res.headers)) return res;
  const headers = new Headers(res.headers);
  stripHopByHop(headers);
  if (wasDecoded(headers.get("content-encoding"))) {
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/**
 * A transport over `fetch` (the default on Deno, Bun, Cloudflare Workers and
 * browsers). The timeout aborts the request through an `AbortSignal`, fired
 * by the shared deadline sweeper (one timer for all requests, not one per
 * request); `fetch` decodes `gzip`, `deflate` and `br` bodies, so their
 * `Content-Encoding` and `Content-Length` are dropped.
 *
 * @param fetchFn The `fetch` to call. @default {globalThis.fetch}
 * @returns The transport.
 *
 * @example Proxy through a custom fetch
 * ```ts
 * import { fetchTransport, RequestProxy } from "@switchyard/core/gateway";
 * const proxy = new RequestProxy({ transport: fetchTransport((url, init) => fetch(url, init)) });
 * console.assert(proxy instanceof RequestProxy);
 * ```
 */
export function fetchTransport(fetchFn?: FetchLike): ProxyTransport {
  const send = fetchFn ?? ((input: string, init: RequestInit) => fetch(input, init));
  return {
    send(url, request) {
      const timeout = request.timeout;
      const expiry = new Expiry(timeout);
      const deadline = deadlines.add(timeout, expiry.fire);
      const init: RequestInit & { duplex?: "half" } = {
        method: request.method,
        headers: request.headers,
        redirect: "manual",
        signal: expiry.controller!.signal,
      };
      if (request.body !== null) {
        init.body = request.body;
        init.duplex = "half";
      }
      let pending: Promise<Response>;
      try {
        pending = send(url, init);
      } catch (err) {
        deadline.cancel();
        return Promise.reject(err);
      }
      return pending.then((res) => {
        deadline.cancel();
        expiry.controller = null;
        return cleanResponse(res);
      }, (err) => {
        deadline.cancel();
        expiry.controller = null;
        throw expiry.timedOut ? timeoutError(timeout) : err;
      });
    },
  };
}

/**
 * What a request's deadline needs. The sweeper keeps a cancelled deadline's
 * callback until it compacts its queue, so the callback holds this small
 * object only, and the controller (with the request's signals) is let go as
 * soon as the response arrives.
 */
class Expiry {
  controller: AbortController | null = new AbortController();
  timedOut = false;
  readonly timeout: number;
  constructor(timeout: number) {
    this.timeout = timeout;
  }
  readonly fire = (): void => {
    const c = this.controller;
    if (c === null) return;
    this.timedOut = true;
    c.abort(timeoutError(this.timeout));
  };
}

/**
 * The transport used when none is given: {@linkcode denoTransport} on Deno,
 * {@linkcode nodeTransport} on Node (detected by `navigator.userAgent`
 * starting with `Node.js/` and Node's global undici dispatcher, so Bun and
 * Workers with Node compatibility keep `fetch`), {@linkcode fetchTransport}
 * everywhere else.
 *
 * @returns A transport. Each call makes a new one (on Deno, with its own
 * keep-alive pools, closed by its `close()`).
 *
 * @example Send one request to an upstream on 127.0.0.1
 * ```ts
 * import { defaultTransport } from "@switchyard/core/gateway";
 * const upstream = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (req) => new Response(`hello from ${new URL(req.url).pathname}`),
 * );
 * const transport = defaultTransport(); // the Deno transport here
 * const res = await transport.send(`http://127.0.0.1:${upstream.addr.port}/a`, {
 *   method: "GET",
 *   headers: [],
 *   body: null,
 *   timeout: 5000,
 * });
 * console.assert((await res.text()) === "hello from /a");
 * transport.close?.();
 * await upstream.shutdown();
 * ```
 */
export function defaultTransport(): ProxyTransport {
  if (denoTransportAvailable()) return denoTransport();
  return nodeTransportAvailable() ? nodeTransport() : fetchTransport();
}
