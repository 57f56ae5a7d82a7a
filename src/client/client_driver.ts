/**
 * The seam between the client API (handles, connections, reconnects) and the
 * way it reaches actors. The remote client implements it over HTTP,
 * WebSocket and SSE against the manager router; the inline client implements
 * it over `ManagerDriver.sendRequest` / `openWebSocket` (or a driver's
 * same-process fast path). Everything above it is shared, so both clients
 * behave the same.
 *
 * @module
 */
import type { Encoding } from "../common/encoding.ts";
import type { SocketLike } from "../common/socket.ts";
import type { ActorQuery } from "../protocol/query.ts";

/**
 * Transport of a connection: `"auto"` opens a WebSocket and falls back to
 * SSE (with message posts) when no WebSocket gets through; `"websocket"` and
 * `"sse"` use only that one.
 */
export type ConnTransport = "auto" | "websocket" | "sse";

/** Options of {@linkcode ClientDriver.connect}. */
export interface ConnectOptions {
  /** Connection parameters (reach `onAuth`, `onBeforeConnect`, `createConnState`). */
  params?: unknown;
  /** Frame encoding. */
  encoding: Encoding;
  /** WebSocket, SSE with message posts, or WebSocket with SSE as the fallback. */
  transport: ConnTransport;
  /** Set to resume an earlier connection (same id, state and subscriptions). */
  resume?: { connId: string; token: string; lastSeq: number };
  /**
   * Event names to subscribe to as the connection opens (they replace the
   * subscriptions of a resumed connection). The server applies them before
   * it sends `init`.
   */
  subs?: string[];
}

/**
 * How a client reaches actors. Every method may reject with a coded
 * `SwitchyardError` (`actor_not_found`, `forbidden`, …).
 */
export interface ClientDriver {
  /**
   * Resolves a query to an actor id, creating the actor for
   * `getOrCreateForKey` and `create`.
   */
  resolve(query: ActorQuery, signal?: AbortSignal): Promise<string>;
  /** Runs an action statelessly and returns its output. */
  action(
    query: ActorQuery,
    name: string,
    args: unknown[],
    options: { encoding: Encoding; signal?: AbortSignal },
  ): Promise<unknown>;
  /**
   * Opens a connection. The socket speaks the messages of
   * `src/protocol/messages.ts`; its first server message is `init`. For SSE
   * the driver adapts the event stream and message posts to a `SocketLike`.
   */
  connect(query: ActorQuery, options: ConnectOptions): Promise<SocketLike>;
  /** Sends a raw HTTP request to the actor's `onFetch`; `path` starts with `/`. */
  fetch(query: ActorQuery, path: string, init?: RequestInit): Promise<Response>;
  /** Opens a raw WebSocket to the actor's `onWebSocket`; `path` starts with `/`. */
  websocket(query: ActorQuery, path: string, protocols?: string[]): Promise<SocketLike>;
  /** Releases what the driver holds (idle sockets, timers). */
  dispose?(): void | Promise<void>;
}
