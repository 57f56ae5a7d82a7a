/**
 * Serves a switchyard server on Node: HTTP through `@hono/node-server`,
 * WebSockets through the `ws` package on the HTTP server's `upgrade` event.
 * Node has no built-in way to upgrade a `Request`, so the adapter passes
 * `upgradeWebSocket` to `server.fetch` per request: the server itself holds
 * no runtime-specific code.
 *
 * @example Serve a counter on Node 22+ (Deno runs it too)
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * import { serve } from "@switchyard/core/adapters/node";
 *
 * const counter = actor({
 *   state: { count: 0 },
 *   onAuth: () => {}, // public
 *   actions: { increment: (c, by: number) => (c.state.count += by) },
 * });
 * const server = setup({ use: { counter } }).createServer({ driver: memoryDriver() });
 * const http = await serve(server, { port: 0 }); // `port: 8080` in production
 * console.assert(http.url === `http://127.0.0.1:${http.port}`);
 * // later:
 * await http.close();
 * await server.shutdown();
 * ```
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { type WebSocket as NodeWebSocket, WebSocketServer } from "ws";
import type { SocketLike } from "../src/common/socket.ts";

/** What {@linkcode serve} needs of a server: its `fetch` (e.g. `createServer(...)`). */
export interface FetchServer {
  /** Serves a request; `env.upgradeWebSocket` upgrades WebSockets. */
  fetch(request: Request, env?: unknown): Promise<Response>;
}

/** Options of {@linkcode serve}. */
export interface NodeServeOptions {
  /** TCP port; `0` picks a free one. @default {0} */
  port?: number;
  /** Interface to listen on. @default {"127.0.0.1"} */
  hostname?: string;
}

/** A listening Node HTTP server. */
export interface NodeServer {
  /** The port it listens on (useful with `port: 0`). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /**
   * Stops listening, closes open WebSockets with 1001 ("going away") and
   * ends idle HTTP connections. Connections stay on the switchyard server
   * for their reconnect window: clients resume them (same id, missed events
   * replayed) once something listens again, e.g. a new `serve()` on the same
   * port. It does not shut the switchyard server down: call
   * `server.shutdown()` afterwards.
   */
  close(): Promise<void>;
}

type Listener = (ev: never) => void;

/**
 * A `SocketLike` handed to `server.fetch` before `ws` finishes the
 * handshake. Sends and a close are queued until the real socket arrives;
 * incoming frames wait until someone listens for messages, so frames sent
 * right after the handshake are not lost while the router resolves the actor.
 */
class PendingSocket implements SocketLike {
  binaryType = "arraybuffer";
  #ws: NodeWebSocket | undefined;
  #listeners: Record<string, Listener[]> = {};
  #queue: Array<string | ArrayBuffer | Uint8Array> = [];
  #closing: [number | undefined, string | undefined] | undefined;
  #early: unknown[] | undefined = [];
  /** The sub-protocol the router chose, echoed if the client offered it. */
  readonly chosen: string | undefined;

  constructor(chosen: string | undefined) {
    this.chosen = chosen;
  }

  get readyState(): number {
    return this.#ws ? this.#ws.readyState : (this.#closing ? 2 : 0);
  }

  get protocol(): string {
    return this.#ws?.protocol ?? "";
  }

  /** What `ws` has not written yet, or what waits for the handshake to finish. */
  get bufferedAmount(): number {
    if (this.#ws) return this.#ws.bufferedAmount;
    let n = 0;
    for (const d of this.#queue) n += typeof d === "string" ? d.length : d.byteLength;
    return n;
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    if (this.#ws) this.#ws.send(data);
    else if (this.#closing) throw new DOMException("WebSocket is closing", "InvalidStateError");
    else this.#queue.push(data);
  }

  close(code?: number, reason?: string): void {
    if (this.#ws) this.#ws.close(code, reason);
    else this.#closing ??= [code, reason];
  }

  addEventListener(type: string, listener: (ev: never) => void): void {
    (this.#listeners[type] ??= []).push(listener);
    if (type === "message" && this.#early) {
      const early = this.#early;
      this.#early = undefined;
      for (const data of early) this.#dispatch("message", { data });
    }
  }

  /** Takes over the socket `ws` accepted. */
  attach(ws: NodeWebSocket): void {
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    ws.on("message", (data: Buffer | ArrayBuffer, isBinary: boolean) => {
      const payload = isBinary ? data : data.toString();
      if (this.#early) this.#early.push(payload);
      else this.#dispatch("message", { data: payload });
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.#dispatch("close", { code, reason: reason.toString() });
    });
    ws.on("error", (error: Error) => this.#dispatch("error", { error }));
    this.#dispatch("open", {});
    for (const data of this.#queue.splice(0)) ws.send(data);
    if (this.#closing) ws.close(...this.#closing);
  }

  #dispatch(type: string, ev: unknown): void {
    for (const l of this.#listeners[type] ?? []) {
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

function toRequest(req: IncomingMessage, fallbackHost: string): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const host = req.headers.host ?? fallbackHost;
  return new Request(new URL(req.url ?? "/", `http://${host}`), { method: req.method, headers });
}

async function writeResponse(socket: Duplex, res: Response): Promise<void> {
  const body = new Uint8Array(await res.arrayBuffer());
  let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ""}\r\n`;
  res.headers.forEach((v, k) => {
    if (k !== "content-length" && k !== "connection") head += `${k}: ${v}\r\n`;
  });
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  socket.write(head);
  socket.end(body, () => socket.destroy());
}

/**
 * Serves a switchyard server on Node's HTTP server.
 *
 * HTTP requests go to `server.fetch` through `@hono/node-server`. Upgrade
 * requests become a standard `Request` passed to
 * `server.fetch(request, { upgradeWebSocket })`; when the router accepts the
 * upgrade, `ws` completes the handshake with the sub-protocol the router
 * chose (only if the client offered it, RFC 6455 §4.2.2). Any other answer
 * (an HTTP error) is written on the raw socket, which is then closed.
 *
 * @param server The switchyard server (anything with a `fetch`).
 * @param options Port and interface.
 * @returns The listening server, once it listens.
 * @throws {Error} When the port cannot be bound (e.g. `EADDRINUSE`).
 *
 * @example Serve on a free port, answer a request, stop
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * import { serve } from "@switchyard/core/adapters/node";
 *
 * const counter = actor({ state: { count: 0 }, actions: {} });
 * const server = setup({ use: { counter } }).createServer({ driver: memoryDriver() });
 * const http = await serve(server, { port: 0 }); // 127.0.0.1, a free port
 * const res = await fetch(`${http.url}/health`);
 * console.assert(res.status === 200 && (await res.json()).status === "ok");
 * await http.close();
 * await server.shutdown();
 * ```
 */
export function serve(server: FetchServer, options: NodeServeOptions = {}): Promise<NodeServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  // overrideGlobalObjects: false keeps the global Request/Response untouched;
  // otherwise `Response.json(...)` made by user code fails `instanceof Response`.
  const http = createAdaptorServer({
    fetch: (request: Request) => server.fetch(request),
    overrideGlobalObjects: false,
  });
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered: Set<string>, req: IncomingMessage) => {
      const chosen = chosenProtocols.get(req);
      return chosen !== undefined && offered.has(chosen) ? chosen : false;
    },
  });
  const chosenProtocols = new WeakMap<IncomingMessage, string>();

  http.on("upgrade", async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    let pending: PendingSocket | undefined;
    let response: Response;
    try {
      const request = toRequest(req, `${hostname}:${port}`);
      const upgradeWebSocket = (_request: Request, opts: { protocol?: string }) => {
        pending = new PendingSocket(opts.protocol);
        // The body is never sent: ws writes the 101 itself.
        return { socket: pending as SocketLike, response: new Response(null, { status: 200 }) };
      };
      response = await server.fetch(request, { upgradeWebSocket });
    } catch {
      response = Response.json({ code: "internal_error", message: "Internal error" }, {
        status: 500,
      });
    }
    const accepted = pending;
    if (!accepted) return void writeResponse(socket, response).catch(() => socket.destroy());
    if (accepted.chosen !== undefined) chosenProtocols.set(req, accepted.chosen);
    wss.handleUpgrade(req, socket, head, (ws) => accepted.attach(ws));
  });

  let port = 0;
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, hostname, () => {
      http.off("error", reject);
      port = (http.address() as AddressInfo).port;
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      resolve({
        port,
        url: `http://${host}:${port}`,
        close: () => closeAll(http, wss),
      });
    });
  });
}

async function closeAll(
  http: ReturnType<typeof createAdaptorServer>,
  wss: WebSocketServer,
): Promise<void> {
  const sockets = [...wss.clients];
  await Promise.all(sockets.map((ws) =>
    new Promise<void>((resolve) => {
      if (ws.readyState === 3) return resolve();
      const timer = setTimeout(() => ws.terminate(), 1000);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1001, "Server is shutting down");
    })
  ));
  await new Promise<void>((resolve) => {
    wss.close(() => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    http.close((err) => (err ? reject(err) : resolve()));
    if ("closeAllConnections" in http) http.closeAllConnections();
  });
}
