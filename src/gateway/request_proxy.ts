/**
 * {@linkcode RequestProxy}: forwards one request to one target, streaming both
 * bodies, rewriting headers and mapping failures to JSON error responses.
 *
 * @module
 */
import { deadlines } from "../common/deadlines.ts";
import { SwitchyardError } from "../common/errors.ts";
import type { SocketLike } from "../common/socket.ts";
import { buildForwardHeaders, type ForwardContext } from "./_headers.ts";
import {
  type ActorTarget,
  buildTargetUrl,
  isSafeRemainder,
  type ParsedTarget,
  parseTarget,
  type RequestUrlParts,
  requestUrlParts,
} from "./target_url.ts";
import {
  classify,
  failure,
  failureResponse,
  proxyErrorResponse,
  type ProxyOutcome,
} from "./proxy_errors.ts";
import { bridgeSockets } from "./websocket_bridge.ts";
import { checkRequest } from "./_checks.ts";
import {
  defaultTransport,
  type FetchLike,
  fetchTransport,
  type ProxyTransport,
  type TransportRequest,
} from "./transport.ts";

/**
 * Sends requests to actors for `actor://name/key/path` targets. The host wires
 * it to the registry (e.g. its ManagerDriver and the actor's `onFetch`).
 */
export interface ActorFetcher {
  /**
   * Delivers a request to an actor. May be called concurrently, also for one actor.
   *
   * @param name The actor name.
   * @param key The actor key.
   * @param request A request whose URL path is the path inside the actor.
   * @returns The actor's response. A public {@linkcode SwitchyardError} thrown
   * here reaches the caller with its status and code.
   */
  fetch(name: string, key: string[], request: Request): Promise<Response>;
}

/**
 * Accepts a WebSocket upgrade on the host (for Deno: `Deno.upgradeWebSocket`).
 *
 * @param request The upgrade request.
 * @param options The sub-protocol the upstream chose, to answer with.
 * @returns The server-side socket and the `101` response to return.
 */
export type UpgradeWebSocket = (
  request: Request,
  options: { protocol?: string },
) => { socket: SocketLike; response: Response };

/** Options of {@linkcode RequestProxy}. */
export interface RequestProxyOptions {
  /** Milliseconds to wait for the upstream's response headers (or WebSocket open). @default {30000} */
  timeout?: number;
  /**
   * How many proxies in front of this one are trusted. Their `X-Forwarded-For`
   * entries (the last `trustedHops`), `X-Forwarded-Host`/`-Proto` and
   * `Forwarded` elements are kept; everything else the client sent in those
   * fields is dropped. @default {0}
   */
  trustedHops?: number;
  /** Also write an RFC 7239 `Forwarded` element. @default {false} */
  forwarded?: boolean;
  /**
   * The HTTP transport. @default {defaultTransport()}: `node:http` pools on
   * Node 22.3+, `fetch` elsewhere.
   */
  transport?: ProxyTransport;
  /**
   * Shorthand for `transport: fetchTransport(fetch)`: a `fetch`-shaped
   * function, which must decode content codings as `fetch` does. Ignored
   * when `transport` is given.
   */
  fetch?: FetchLike;
  /** Accepts WebSocket upgrades; without it upgrade requests get a coded 501. */
  upgradeWebSocket?: UpgradeWebSocket;
  /** Delivers requests for `actor://` targets; without it they get a coded 501. */
  actors?: ActorFetcher;
}

/** Per-call options of {@linkcode RequestProxy.prototype.forward}. */
export interface ForwardOptions {
  /** The target, as written in a route table or already parsed. */
  target: string | ParsedTarget;
  /** A wildcard remainder to append (see {@linkcode buildTargetUrl}). */
  remainder?: string;
  /** Overrides the proxy's timeout, in milliseconds. */
  timeout?: number;
  /** The peer address of the connection, for `X-Forwarded-For`. */
  clientAddress?: string;
  /** The parsed `request.url` (a `URL` will do), when the caller has it already. */
  url?: RequestUrlParts;
  /**
   * Edits the rewritten request fields (lower-case names) before they are
   * sent, e.g. a route's header transformation.
   */
  editHeaders?: (fields: [string, string][]) => [string, string][];
}

const NO_BODY = new Set(["GET", "HEAD"]);

/** An HTTP request ready for the transport. */
interface HttpStep {
  href: string;
  init: TransportRequest;
}

/** The target URL an error body names: the full URL with the request path, without the query. */
function withoutQuery(href: string): string {
  const q = href.indexOf("?");
  return q === -1 ? href : href.slice(0, q);
}

function answer(outcome: ProxyOutcome): Response {
  return outcome.ok ? outcome.response : failureResponse(outcome);
}

/** The body to forward: none for `GET` and `HEAD`, checked first (reading `body` can be costly). */
function bodyOf(request: Request): ReadableStream<Uint8Array> | null {
  return NO_BODY.has(request.method) ? null : request.body;
}

/**
 * Forwards requests to HTTP, WebSocket and actor targets.
 *
 * Per request: refuses a remainder that escapes the target (400
 * `path_escape`); removes hop-by-hop fields (RFC 9110 §7.6.1) both ways;
 * appends to `X-Forwarded-For`; sets `X-Forwarded-Host`/`-Proto` (and
 * `Forwarded` when asked); streams the request and response bodies; keeps
 * redirects as they are; drops `Content-Encoding`/`Content-Length` when the
 * transport decoded the body. HTTP requests go through a
 * {@linkcode ProxyTransport} (`node:http` pools on Node, `fetch` elsewhere).
 * Failures answer JSON `{ error, code, target }`:
 * 504 `upstream_timeout`, 502 `upstream_unreachable`, 500 `upstream_error`.
 * The timeout covers the wait for the response headers; a streamed body may
 * then take as long as it needs.
 *
 * @example Forward to a backend
 * ```ts
 * import { RequestProxy } from "@switchyard/core/gateway";
 * const backend = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (req) => {
 *     const from = req.headers.get("x-forwarded-for");
 *     return new Response(`${new URL(req.url).pathname} for ${from}`);
 *   },
 * );
 * const proxy = new RequestProxy({ timeout: 5_000 });
 * const res = await proxy.forward(new Request("http://gateway.test/users/42"), {
 *   target: `http://127.0.0.1:${backend.addr.port}/v1`,
 *   remainder: "/users/42",
 *   clientAddress: "203.0.113.7", // in Deno.serve: info.remoteAddr.hostname
 * });
 * console.assert((await res.text()) === "/v1/users/42 for 203.0.113.7");
 * proxy.close();
 * await backend.shutdown();
 * ```
 */
export class RequestProxy {
  #timeout: number;
  #trustedHops: number;
  #forwarded: boolean;
  #transport: ProxyTransport;
  #upgrade: UpgradeWebSocket | undefined;
  #actors: ActorFetcher | undefined;
  #targets = new Map<string, ParsedTarget>();

  /**
   * Creates a proxy.
   *
   * @param options Timeouts, trusted hops, transport, WebSocket and actor hooks.
   * @throws {RangeError} When `timeout` or `trustedHops` is negative.
   */
  constructor(options: RequestProxyOptions = {}) {
    this.#timeout = options.timeout ?? 30_000;
    this.#trustedHops = options.trustedHops ?? 0;
    if (!(this.#timeout >= 0) || !(this.#trustedHops >= 0)) {
      throw new RangeError(
        `Timeout and trusted hops must be ≥ 0, got ${this.#timeout} and ${this.#trustedHops}`,
      );
    }
    this.#forwarded = options.forwarded ?? false;
    this.#transport = options.transport ??
      (options.fetch !== undefined ? fetchTransport(options.fetch) : defaultTransport());
    this.#upgrade = options.upgradeWebSocket;
    this.#actors = options.actors;
  }

  /**
   * Closes the transport's idle upstream connections (the default transport
   * on Deno keeps a pool). Requests still running finish; later ones open new
   * connections.
   */
  close(): void {
    this.#transport.close?.();
  }

  /** Same as {@linkcode RequestProxy.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Forwards a request and always answers: failures become JSON error responses.
   *
   * @param request The incoming request.
   * @param options The target and per-call settings.
   * @returns The upstream's response or an error response.
   * @throws {SwitchyardError} `invalid_route_target` when `options.target` is malformed.
   */
  forward(request: Request, options: ForwardOptions): Promise<Response> {
    let step: HttpStep | Promise<ProxyOutcome>;
    try {
      checkRequest("forward()", request);
      step = this.#begin(request, options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (step instanceof Promise) return step.then(answer);
    const { href, init } = step;
    return this.#transport.send(href, init).catch((err) =>
      failureResponse(failure(withoutQuery(href), classify(err), init.timeout, err))
    );
  }

  /**
   * Makes one attempt and reports a failure instead of answering it, so a
   * caller can retry or count it. Responses the proxy makes itself (400, 501)
   * and every upstream response count as `ok`.
   *
   * @param request The incoming request.
   * @param options The target and per-call settings.
   * @returns The response, or the kind of failure.
   * @throws {SwitchyardError} `invalid_route_target` when `options.target` is malformed.
   *
   * @example Report an unreachable upstream instead of answering 502
   * ```ts
   * import { RequestProxy } from "@switchyard/core/gateway";
   * // A port that was just free: nothing listens there.
   * const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const port = probe.addr.port;
   * probe.close();
   * const proxy = new RequestProxy({ timeout: 2_000 });
   * const outcome = await proxy.attempt(new Request("http://gateway.test/"), {
   *   target: `http://127.0.0.1:${port}`,
   * });
   * console.assert(!outcome.ok && outcome.kind === "unreachable");
   * proxy.close();
   * ```
   */
  attempt(request: Request, options: ForwardOptions): Promise<ProxyOutcome> {
    checkRequest("attempt()", request);
    const step = this.#begin(request, options);
    if (step instanceof Promise) return step;
    const { href, init } = step;
    return this.#transport.send(href, init).then(
      (response): ProxyOutcome => ({ ok: true, response }),
      (err) => failure(withoutQuery(href), classify(err), init.timeout, err),
    );
  }

  /**
   * Everything before the HTTP exchange: the escape check, the header
   * rewrite, the target URL. WebSocket, actor and refused requests are
   * answered here; an HTTP request comes back as the step to send.
   */
  #begin(request: Request, options: ForwardOptions): HttpStep | Promise<ProxyOutcome> {
    const target = this.#parse(options.target);
    const remainder = options.remainder;
    if (remainder !== undefined && !isSafeRemainder(remainder)) {
      return Promise.resolve({
        ok: true,
        response: proxyErrorResponse(
          400,
          "path_escape",
          `Path "${remainder}" escapes the route target`,
          target.source,
        ),
      });
    }
    const url = options.url ?? requestUrlParts(request.url);
    const timeout = options.timeout ?? this.#timeout;
    const ctx: ForwardContext = {
      clientAddress: options.clientAddress,
      trustedHops: this.#trustedHops,
      forwarded: this.#forwarded,
      host: url.host,
      proto: url.protocol === "https:" ? "https" : "http",
      upgrade: null,
    };
    // One pass over the request's fields, which also finds `Upgrade`.
    let headers = buildForwardHeaders(request.headers, ctx);
    if (options.editHeaders !== undefined) headers = options.editHeaders(headers);
    const upgrade = ctx.upgrade;
    if (typeof upgrade === "string" && upgrade.toLowerCase() === "websocket") {
      return this.#webSocket(request, target, remainder, url, timeout);
    }
    if (target.kind === "actor") {
      return this.#actor(request, target, remainder, url, headers, timeout);
    }
    return {
      href: buildTargetUrl(target, remainder, url.search),
      init: { method: request.method, headers, body: bodyOf(request), timeout },
    };
  }

  #parse(target: string | ParsedTarget): ParsedTarget {
    if (typeof target !== "string") return target;
    let t = this.#targets.get(target);
    if (t === undefined) {
      t = parseTarget(target);
      if (this.#targets.size >= 1024) this.#targets.clear();
      this.#targets.set(target, t);
    }
    return t;
  }

  async #actor(
    request: Request,
    target: ActorTarget,
    remainder: string | undefined,
    url: RequestUrlParts,
    headers: [string, string][],
    timeout: number,
  ): Promise<ProxyOutcome> {
    const actors = this.#actors;
    if (actors === undefined) {
      return {
        ok: true,
        response: proxyErrorResponse(
          501,
          "actor_targets_unsupported",
          `No actor fetcher is configured for "${target.source}"`,
          target.source,
        ),
      };
    }
    const path = (target.path + (remainder ?? "")) || "/";
    const label = actorLabel(target, path);
    const q = [target.query, url.search.slice(1)].filter((s) => s !== "").join("&");
    const init: RequestInit & { duplex?: "half" } = { method: request.method, headers };
    const body = bodyOf(request);
    if (body !== null) {
      init.body = body;
      init.duplex = "half";
    }
    const inner = new Request(`http://actor${path}${q === "" ? "" : "?" + q}`, init);
    let deadline: { cancel(): void } | undefined;
    const expired = new Promise<"timeout">((resolve) => {
      deadline = deadlines.add(timeout, () => resolve("timeout"));
    });
    try {
      const res = await Promise.race([actors.fetch(target.name, [...target.key], inner), expired]);
      if (res === "timeout") return failure(label, "timeout", timeout);
      return { ok: true, response: res };
    } catch (err) {
      if (err instanceof SwitchyardError && err.public) {
        return {
          ok: true,
          response: proxyErrorResponse(err.status, err.code, err.message, label),
        };
      }
      return failure(label, "error", timeout, err);
    } finally {
      deadline?.cancel();
    }
  }

  async #webSocket(
    request: Request,
    target: ParsedTarget,
    remainder: string | undefined,
    url: RequestUrlParts,
    timeout: number,
  ): Promise<ProxyOutcome> {
    const upgrade = this.#upgrade;
    if (upgrade === undefined || target.kind === "actor") {
      const why = upgrade === undefined
        ? "No WebSocket upgrade is configured"
        : "Actor targets do not accept WebSocket upgrades";
      return {
        ok: true,
        response: proxyErrorResponse(
          501,
          "websocket_unsupported",
          `${why} for "${target.source}"`,
          target.source,
        ),
      };
    }
    const href = "ws" + buildTargetUrl(target, remainder, url.search).slice(4);
    const label = withoutQuery(href);
    const protocols = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((p) => p.trim()).filter((p) => p !== "");
    let upstream: WebSocket;
    try {
      upstream = new WebSocket(href, protocols);
    } catch (err) {
      return failure(label, "error", timeout, err);
    }
    upstream.binaryType = "arraybuffer";
    const state = await new Promise<"open" | "unreachable" | "timeout">((resolve) => {
      const deadline = deadlines.add(timeout, () => resolve("timeout"));
      const done = (s: "open" | "unreachable") => {
        deadline.cancel();
        resolve(s);
      };
      upstream.addEventListener("open", () => done("open"), { once: true });
      upstream.addEventListener("close", () => done("unreachable"), { once: true });
    });
    if (state !== "open") {
      try {
        upstream.close();
      } catch {
        // Never opened.
      }
      return failure(label, state, timeout);
    }
    try {
      const { socket, response } = upgrade(
        request,
        upstream.protocol === "" ? {} : { protocol: upstream.protocol },
      );
      bridgeSockets(socket, upstream as unknown as SocketLike);
      return { ok: true, response };
    } catch (err) {
      upstream.close(1000, "Client upgrade failed");
      return failure(label, "error", timeout, err);
    }
  }
}

/** The target an actor error names: `actor://name/key` and the path inside the actor. */
function actorLabel(target: ActorTarget, path: string): string {
  const q = target.source.indexOf("?");
  const base = q === -1 ? target.source : target.source.slice(0, q);
  const cut = base.indexOf("/", base.indexOf("/", 8) + 1);
  return (cut === -1 ? base.replace(/\/$/, "") : base.slice(0, cut)) + (path === "/" ? "" : path);
}
