/**
 * The remote {@linkcode ClientDriver}: HTTP, WebSocket and SSE against the
 * manager router. Uses only web-standard globals (`fetch`,
 * `WebSocket`, streams), so it runs in browsers, Deno and Node 22+.
 *
 * @module
 */
import { decodeCbor, encodeCbor, type Encoding } from "../common/encoding.ts";
import { fromErrorBody, type SwitchyardError } from "../common/errors.ts";
import type { SocketLike } from "../common/socket.ts";
import {
  HEADER_ACTOR_ID,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_SUBS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
  HEADER_QUERY,
  toSocketProtocols,
} from "../protocol/headers.ts";
import { type ActorQuery, queryName } from "../protocol/query.ts";
import type { ClientDriver, ConnectOptions } from "./client_driver.ts";
import { bufferMessages } from "../common/buffered_socket.ts";
import { SseSocket } from "./sse_socket.ts";
import { clientError } from "./_errors.ts";

/** Options of {@linkcode createRemoteDriver}. */
export interface RemoteDriverOptions {
  /**
   * Headers added to every HTTP request (actions, resolve, SSE, raw HTTP).
   * WebSockets cannot carry headers in browsers: use connection params there.
   */
  headers?: Record<string, string>;
  /**
   * The function that sends HTTP requests, e.g. `server.fetch` to talk to an
   * in-process server. WebSockets always use the global `WebSocket`.
   * @default {globalThis.fetch}
   */
  fetch?: (request: Request) => Promise<Response>;
}

/**
 * JSON with every non-ASCII character escaped, so it is a valid header value.
 *
 * @param value A JSON value.
 * @returns ASCII-only JSON text.
 */
export function headerJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/**
 * Turns an `http(s)` endpoint into its `ws(s)` form.
 *
 * @param endpoint `http://…` or `https://…` (`ws(s)://` is kept).
 * @returns The WebSocket URL.
 */
export function wsUrl(endpoint: string): string {
  return endpoint.replace(/^http(s?):/i, "ws$1:");
}

const CONTENT_TYPE: Record<Encoding, string> = {
  json: "application/json",
  cbor: "application/cbor",
};

class RemoteDriver implements ClientDriver {
  #endpoint: string;
  /** Set once a WebSocket failed to open where SSE worked (transport "auto"). */
  #sseOnly = false;
  #headers: Record<string, string>;
  #fetch: (request: Request) => Promise<Response>;

  constructor(endpoint: string, options: RemoteDriverOptions) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new TypeError(`Endpoint must be an absolute URL, got "${endpoint}"`);
    }
    if (!/^(https?|wss?):$/.test(url.protocol)) {
      throw new TypeError(`Endpoint must use http or https, got "${url.protocol}"`);
    }
    this.#endpoint = url.href.replace(/\/+$/, "").replace(/^ws(s?):/i, "http$1:");
    this.#headers = { ...options.headers };
    this.#fetch = options.fetch ?? ((req) => fetch(req));
  }

  async resolve(query: ActorQuery, signal?: AbortSignal): Promise<string> {
    const res = await this.#send("/actors/resolve", {
      method: "POST",
      headers: { [HEADER_QUERY]: headerJson(query) },
      signal,
    });
    const body = await readBody(res, "json") as { actorId?: unknown };
    if (typeof body?.actorId !== "string") throw unexpected(res.status, "has no actor id");
    return body.actorId;
  }

  async action(
    query: ActorQuery,
    name: string,
    args: unknown[],
    options: { encoding: Encoding; signal?: AbortSignal },
  ): Promise<unknown> {
    const { encoding } = options;
    const res = await this.#send(`/actors/actions/${encodeURIComponent(name)}`, {
      method: "POST",
      headers: {
        [HEADER_QUERY]: headerJson(query),
        [HEADER_ENCODING]: encoding,
        "content-type": CONTENT_TYPE[encoding],
      },
      body: encoding === "json" ? JSON.stringify({ args }) : encodeCbor({ args }),
      signal: options.signal,
    }, encoding);
    const body = await readBody(res, encoding) as { output?: unknown };
    if (typeof body !== "object" || body === null) throw unexpected(res.status, "has no output");
    return body.output;
  }

  async connect(query: ActorQuery, options: ConnectOptions): Promise<SocketLike> {
    const { transport } = options;
    if (transport === "sse") return await this.#connectSse(query, options);
    if (transport === "websocket") return await this.#connectWebSocket(query, options);
    // "auto": WebSocket first; SSE when no WebSocket gets through (no WebSocket
    // in this runtime, or a proxy on the way that refuses upgrades).
    if (this.#sseOnly || typeof globalThis.WebSocket !== "function") {
      return await this.#connectSse(query, options);
    }
    try {
      return await this.#connectWebSocket(query, options);
    } catch (err) {
      if ((err as { code?: string }).code !== "connection_failed") throw err;
      const socket = await this.#connectSse(query, options); // its own error if HTTP fails too
      // HTTP gets through where WebSockets did not: SSE for this client from now on.
      this.#sseOnly = true;
      return socket;
    }
  }

  #connectWebSocket(query: ActorQuery, options: ConnectOptions): Promise<SocketLike> {
    return openSocket(
      `${wsUrl(this.#endpoint)}/actors/connect/websocket`,
      toSocketProtocols({
        query,
        encoding: options.encoding,
        params: options.params,
        connId: options.resume?.connId,
        connToken: options.resume?.token,
        lastSeq: options.resume?.lastSeq,
        subs: options.subs,
      }),
    );
  }

  fetch(query: ActorQuery, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(this.#headers);
    new Headers(init.headers).forEach((v, k) => headers.set(k, v));
    headers.set(HEADER_QUERY, headerJson(query));
    const reqInit: RequestInit & { duplex?: "half" } = { ...init, headers };
    if (init.body instanceof ReadableStream) reqInit.duplex = "half";
    return this.#request(new Request(`${this.#endpoint}/actors/raw/http${path}`, reqInit));
  }

  websocket(query: ActorQuery, path: string, protocols: string[] = []): Promise<SocketLike> {
    return openSocket(
      `${wsUrl(this.#endpoint)}/actors/raw/websocket${path}`,
      toSocketProtocols({ query, other: protocols }),
    );
  }

  async #connectSse(query: ActorQuery, options: ConnectOptions): Promise<SocketLike> {
    const headers: Record<string, string> = {
      accept: "text/event-stream",
      [HEADER_QUERY]: headerJson(query),
      [HEADER_ENCODING]: options.encoding,
    };
    if (options.params !== undefined) headers[HEADER_CONN_PARAMS] = headerJson(options.params);
    if (options.resume) {
      headers[HEADER_CONN_ID] = options.resume.connId;
      headers[HEADER_CONN_TOKEN] = options.resume.token;
      headers[HEADER_LAST_SEQ] = String(options.resume.lastSeq);
    }
    if (options.subs) headers[HEADER_CONN_SUBS] = headerJson(options.subs);
    const abort = new AbortController();
    const res = await this.#send("/actors/connect/sse", {
      method: "GET",
      headers,
      signal: abort.signal,
    }, options.encoding);
    const type = res.headers.get("content-type") ?? "";
    const actorId = res.headers.get(HEADER_ACTOR_ID);
    if (!type.startsWith("text/event-stream") || !actorId) {
      abort.abort();
      await res.body?.cancel().catch(() => {});
      throw unexpected(res.status, !actorId ? "has no actor id header" : `is "${type}"`);
    }
    const postQuery: ActorQuery = { getForId: { name: queryName(query), actorId } };
    const encoding = options.encoding;
    return new SseSocket({
      response: res,
      abort,
      post: async (body, conn) => {
        const r = await this.#send("/actors/message", {
          method: "POST",
          headers: {
            [HEADER_QUERY]: headerJson(postQuery),
            [HEADER_CONN_ID]: conn.connId,
            [HEADER_CONN_TOKEN]: conn.token,
            [HEADER_ENCODING]: encoding,
            "content-type": CONTENT_TYPE[encoding],
          },
          body: typeof body === "string" ? body : new Uint8Array(body),
        }, encoding);
        await r.body?.cancel().catch(() => {});
      },
    });
  }

  /** Sends a request to the manager; a non-2xx answer throws its coded error. */
  async #send(path: string, init: RequestInit, encoding: Encoding = "json"): Promise<Response> {
    const headers = { ...this.#headers, ...(init.headers as Record<string, string>) };
    const res = await this.#request(new Request(this.#endpoint + path, { ...init, headers }));
    if (!res.ok) throw await errorFrom(res, encoding);
    return res;
  }

  async #request(req: Request): Promise<Response> {
    try {
      return await this.#fetch(req);
    } catch (err) {
      if (req.signal.aborted) throw req.signal.reason ?? err;
      throw clientError("network_error", 503, `Request to "${req.url}" failed`, { cause: err });
    }
  }
}

function unexpected(status: number, what: string): SwitchyardError {
  return clientError("unexpected_response", 502, `Response with status ${status} ${what}`, {
    metadata: { status },
  });
}

async function readBody(res: Response, fallback: Encoding): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw clientError("network_error", 503, "Response body could not be read", { cause: err });
  }
  const type = res.headers.get("content-type") ?? "";
  const cbor = type.includes("cbor") || (!type.includes("json") && fallback === "cbor");
  try {
    return cbor ? decodeCbor(bytes) : JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw unexpected(res.status, `has a body that is not ${cbor ? "CBOR" : "JSON"}`);
  }
}

async function errorFrom(res: Response, encoding: Encoding): Promise<SwitchyardError> {
  let body: unknown;
  try {
    body = await readBody(res, encoding);
  } catch (err) {
    return err as SwitchyardError;
  }
  if (typeof (body as { code?: unknown })?.code !== "string") {
    return unexpected(res.status, "has no error code");
  }
  return fromErrorBody(body, res.status);
}

/** Opens a WebSocket and resolves once it is open. */
function openSocket(url: string, protocols: string[]): Promise<SocketLike> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, protocols);
    } catch (err) {
      reject(clientError("connection_failed", 503, `WebSocket to "${url}" could not be opened`, {
        cause: err,
      }));
      return;
    }
    ws.binaryType = "arraybuffer";
    // Wrap at once: frames sent right after the upgrade must not be lost
    // while the caller's promise chain catches up.
    const socket = bufferMessages(ws as unknown as SocketLike);
    const onOpen = () => {
      ws.removeEventListener("close", onClose);
      resolve(socket);
    };
    const onClose = (ev: CloseEvent) => {
      ws.removeEventListener("open", onOpen);
      reject(
        clientError("connection_failed", 503, `WebSocket closed before it opened (${ev.code})`, {
          metadata: { code: ev.code, reason: ev.reason },
        }),
      );
    };
    ws.addEventListener("open", onOpen, { once: true });
    ws.addEventListener("close", onClose, { once: true });
  });
}

/**
 * Creates the remote driver for a manager router at `endpoint`.
 *
 * @param endpoint The server's base URL, e.g. `http://127.0.0.1:8080`.
 * @param options Extra headers and a custom `fetch`.
 * @returns The driver.
 * @throws {TypeError} When the endpoint is not an absolute http(s) URL.
 *
 * @example Build a client from the driver
 * ```ts
 * import { createClientWithDriver, createRemoteDriver } from "@switchyard/core/client";
 * const client = createClientWithDriver(createRemoteDriver("http://127.0.0.1:8080"));
 * await client.dispose();
 * ```
 */
export function createRemoteDriver(
  endpoint: string,
  options: RemoteDriverOptions = {},
): ClientDriver {
  return new RemoteDriver(endpoint, options);
}
