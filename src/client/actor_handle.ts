/**
 * Actor handles: a cheap reference to one actor (by key or id) that runs
 * actions statelessly, resolves the actor id, sends raw HTTP and WebSocket
 * traffic, and opens connections.
 *
 * @module
 */
import type { Encoding } from "../common/encoding.ts";
import type { SocketLike } from "../common/socket.ts";
import type { ActorQuery } from "../protocol/query.ts";
import { ActorConnection } from "./actor_conn.ts";
import type { ResolvedReconnectOptions } from "./backoff.ts";
import type { ClientDriver, ConnTransport } from "./client_driver.ts";
import type { ActorActions } from "./client_types.ts";

/** Methods every handle has; action methods with these names are hidden. */
export interface ActorHandleMethods {
  /**
   * Resolves the actor id (creating the actor for `getOrCreate`). Cached per handle.
   *
   * @returns The actor id.
   * @throws {SwitchyardError} `actor_not_found`, `forbidden`, …
   */
  resolve(): Promise<string>;
  /**
   * Sends a raw HTTP request to the actor's `onFetch`. The response is
   * returned as is, whatever its status (404 `not_found` when the actor has
   * no `onFetch`; router errors such as `forbidden` come back as JSON bodies).
   *
   * @param path Path relative to the actor, starting with `/`; may carry a query string.
   * @param init Method, headers and body, as for `fetch`.
   * @returns The response.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Opens a raw WebSocket to the actor's `onWebSocket`.
   *
   * @param path Path relative to the actor, starting with `/`.
   * @param protocols Extra sub-protocols passed to the actor.
   * @returns The open socket; the client closes it on `dispose()`.
   */
  websocket(path?: string, protocols?: string[]): Promise<SocketLike>;
  /**
   * Opens a connection (it starts connecting at once).
   *
   * @param params Connection parameters; defaults to the handle's `params`.
   * @returns The connection, with one method per action.
   */
  connect(params?: unknown): ActorConnectionLike;
}

/** The connection params type of an actor definition (`unknown` when untyped). */
export type ConnParamsOf<D> = D extends { readonly types: { connParams: infer CP } }
  ? (undefined extends CP ? unknown : CP)
  : unknown;

/** A connection without its typed action methods. */
export type ActorConnectionLike = ActorConnection;

/**
 * A typed handle: the handle methods plus one method per action, each
 * returning a promise of the action's output.
 */
export type ActorHandle<D = unknown> =
  & Omit<ActorHandleMethods, "connect">
  & { connect(params?: ConnParamsOf<D>): ActorConn<D> }
  & Omit<ActorActions<D>, keyof ActorHandleMethods | "then">;

/** A typed connection: the connection methods plus one method per action. */
export type ActorConn<D = unknown> =
  & ActorConnectionLike
  & Omit<ActorActions<D>, keyof ActorConnectionLike | "then">;

/** What a handle needs from its client. */
export interface HandleContext {
  /** How to reach actors. */
  driver: ClientDriver;
  /** Encoding of actions and connections. */
  encoding: Encoding;
  /** Transport of connections. */
  transport: ConnTransport;
  /** Reconnect policy of connections. */
  reconnect: ResolvedReconnectOptions;
  /** Heartbeat timeout of connections, milliseconds (0: off). */
  heartbeatTimeout?: number;
  /** Remembers a connection or socket so the client can close it. */
  track(resource: { dispose(): Promise<void> }): () => void;
}

/** Names a proxy must never turn into an action (await, inspection, JSON). */
const NOT_ACTIONS = new Set(["then", "toJSON", "constructor", "catch", "finally"]);

/**
 * Wraps an object so that unknown string properties become action methods.
 * Known properties are read from the target, methods bound to it (so
 * `#private` fields work through the proxy).
 *
 * @param target The object with the fixed methods.
 * @param call Runs an action.
 * @returns The proxy.
 */
export function withActions<T extends object>(
  target: T,
  call: (name: string, args: unknown[]) => Promise<unknown>,
): T {
  const cache = new Map<string | symbol, unknown>();
  return new Proxy(target, {
    get(t, prop) {
      if (cache.has(prop)) return cache.get(prop);
      if (typeof prop === "symbol" || prop in t || NOT_ACTIONS.has(prop)) {
        const v = Reflect.get(t, prop, t);
        if (typeof v !== "function") return v;
        const bound = (v as (...a: unknown[]) => unknown).bind(t);
        cache.set(prop, bound);
        return bound;
      }
      const fn = (...args: unknown[]) => call(prop, args);
      cache.set(prop, fn);
      return fn;
    },
    has(t, prop) {
      return prop in t;
    },
  });
}

/** A handle's implementation (wrapped by {@linkcode withActions}). */
class HandleImpl implements ActorHandleMethods {
  #ctx: HandleContext;
  #query: ActorQuery;
  #params: unknown;
  #actorId: Promise<string> | undefined;

  constructor(ctx: HandleContext, query: ActorQuery, params: unknown) {
    this.#ctx = ctx;
    this.#query = query;
    this.#params = params;
    if ("getForId" in query) this.#actorId = Promise.resolve(query.getForId.actorId);
  }

  resolve(): Promise<string> {
    if (!this.#actorId) {
      const p = this.#ctx.driver.resolve(this.#query);
      this.#actorId = p;
      p.catch(() => {
        if (this.#actorId === p) this.#actorId = undefined; // retry on the next call
      });
    }
    return this.#actorId;
  }

  fetch(path: string, init?: RequestInit): Promise<Response> {
    return this.#ctx.driver.fetch(this.#query, normalizePath(path), init);
  }

  async websocket(path = "/", protocols?: string[]): Promise<SocketLike> {
    const socket = await this.#ctx.driver.websocket(this.#query, normalizePath(path), protocols);
    const untrack = this.#ctx.track({
      dispose: () => closeSocket(socket),
    });
    socket.addEventListener("close", () => untrack());
    return socket;
  }

  connect(params?: unknown): ActorConnectionLike {
    let untrack = () => {};
    const conn = new ActorConnection(this.#ctx.driver, this.#query, {
      params: params === undefined ? this.#params : params,
      encoding: this.#ctx.encoding,
      transport: this.#ctx.transport,
      reconnect: this.#ctx.reconnect,
      heartbeatTimeout: this.#ctx.heartbeatTimeout,
      onEnd: () => untrack(),
    });
    untrack = this.#ctx.track(conn);
    return withActions(conn, (name, args) => conn.call(name, args));
  }
}

function normalizePath(path: string): string {
  if (typeof path !== "string") throw new TypeError(`Path must be a string, got ${typeof path}`);
  return path.startsWith("/") ? path : `/${path}`;
}

function closeSocket(socket: SocketLike): Promise<void> {
  if (socket.readyState === 3) return Promise.resolve();
  const closed = new Promise<void>((r) => socket.addEventListener("close", () => r()));
  socket.close(1000, "client disposed");
  return closed;
}

/**
 * Builds a typed handle.
 *
 * @param ctx The client's driver and options.
 * @param query Which actor.
 * @param params Default connection parameters.
 * @returns The handle.
 */
export function createHandle<D>(
  ctx: HandleContext,
  query: ActorQuery,
  params?: unknown,
): ActorHandle<D> {
  const impl = new HandleImpl(ctx, query, params);
  const call = (name: string, args: unknown[]) =>
    ctx.driver.action(query, name, args, { encoding: ctx.encoding });
  return withActions(impl, call) as unknown as ActorHandle<D>;
}
