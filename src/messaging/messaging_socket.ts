/**
 * The WebSocket management endpoint for outside clients. Runtime-neutral:
 * it takes any {@linkcode SocketLike} (Deno's upgraded socket, a Workers
 * `WebSocketPair` end, `ws` on Node, or {@linkcode socketPair}).
 *
 * @module
 */
import type { Encoding } from "../common/encoding.ts";
import type { SocketLike } from "../common/socket.ts";
import { checkHeartbeat } from "./_heartbeat.ts";
import { CLOSE_PEER_SILENT, CLOSE_SLOW_CONSUMER } from "./close_codes.ts";
import { MessagingSession } from "./_messaging_session.ts";
import type { MessageRouter } from "./message_router.ts";

/** What an authorised connection may do. */
export interface MessagingGrant {
  /**
   * Who the client is (a user id). The connection's participant id is
   * `client:<identity>:<random>`, or `client:<random>` without one, so two
   * connections never share an identity. @default none
   */
  identity?: string;
  /**
   * Whether this connection may send to, request from or open a channel to
   * `target`. Synchronous so commands keep their order. @default allows all
   */
  canAddress?: (target: string) => boolean;
}

/**
 * Decides who may connect to `/messages`, from the upgrade request: a grant,
 * or `null` to refuse the upgrade (the server answers 403).
 *
 * @example Allow signed-in users to address their own actors
 * ```ts
 * import type { MessagingAuth } from "@switchyard/core/messaging";
 * const auth: MessagingAuth = (request) => {
 *   const user = request.headers.get("x-user");
 *   return user ? { identity: user, canAddress: (t) => t.startsWith(`${user}/`) } : null;
 * };
 * ```
 */
export type MessagingAuth = (
  request: Request,
) => MessagingGrant | null | Promise<MessagingGrant | null>;

/** Options of {@linkcode serveMessagingSocket}. */
export interface ServeMessagingOptions extends MessagingGrant {
  /**
   * Encoding of replies and pushes. Incoming text frames are read as JSON and
   * binary frames as CBOR whatever this says. @default {"json"}
   */
  encoding?: Encoding;
  /** Most commands in one frame. @default {1000} */
  maxCommandsPerFrame?: number;
  /** Most requests and opens awaiting a reply per connection. @default {4096} */
  maxInflight?: number;
  /**
   * Longest silence of the client, in ms, before the connection is given up:
   * closed with {@linkcode CLOSE_PEER_SILENT} and its channels closed as on
   * a close. A client silent for a sixth of it is sent `{ "op": "ping" }`,
   * which it answers with any command. `Infinity` turns this off.
   * @default {30000}
   */
  heartbeatTimeout?: number;
  /**
   * Most bytes the socket may hold unsent (its `bufferedAmount`) when a
   * tick's replies and pushes are ready: a client that does not read past
   * it is disconnected with {@linkcode CLOSE_SLOW_CONSUMER}. Sockets that do
   * not report `bufferedAmount` are not bounded.
   * @default {16777216} (16 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Checked once per target, before the connection's first command to it;
   * throwing or rejecting (with a coded error) refuses every command to that
   * target on this connection. Commands keep their order while a check runs.
   * The server sets it so that a registry actor is reached only when its
   * `onAuth` admits the connection.
   */
  admit?: (target: string) => void | Promise<void>;
}

/** A served connection. */
export interface MessagingConnection {
  /** The connection's participant id (the `from` of its messages). */
  readonly participant: string;
  /** Resolves once the socket closed and the connection's channels are closed. */
  readonly closed: Promise<void>;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Serves the messaging protocol (see docs/messaging.md) on an accepted
 * socket. Each connection is its own participant: it can use and close only
 * the channels it opened. Every command gets exactly one reply carrying its
 * `id`; replies and pushes produced in the same tick share one frame (or
 * several of at most 1 MiB each). A client that goes silent or does not read
 * is disconnected (see the options).
 *
 * @param router The router to serve.
 * @param socket The upgraded socket.
 * @param options Grant (identity, `canAddress`), reply encoding and limits.
 * @throws {RangeError} When `heartbeatTimeout` is under 60 ms or `maxBufferedBytes` not > 0.
 * @returns The connection's participant id and a promise of its end.
 *
 * @example Serve a client over an in-process socket pair
 * ```ts
 * import {
 *   MessageRouter,
 *   MessagingClient,
 *   serveMessagingSocket,
 * } from "@switchyard/core/messaging";
 * import { socketPair } from "@switchyard/core/driver";
 * const router = new MessageRouter();
 * router.register("echo", { onRequest: (d) => d });
 * const [clientEnd, serverEnd] = socketPair();
 * const conn = serveMessagingSocket(router, serverEnd);
 * const client = await MessagingClient.connect(clientEnd);
 * console.assert((await client.request("echo", "hi")) === "hi");
 * await client.close();
 * await conn.closed;
 * ```
 */
export function serveMessagingSocket(
  router: MessageRouter,
  socket: SocketLike,
  options: ServeMessagingOptions = {},
): MessagingConnection {
  const participant = options.identity === undefined
    ? `client:${randomId()}`
    : `client:${options.identity}:${randomId()}`;
  const maxBufferedBytes = options.maxBufferedBytes ?? 16 << 20;
  if (!(maxBufferedBytes > 0)) {
    throw new RangeError(`Most buffered bytes must be > 0, got ${maxBufferedBytes}`);
  }
  const session = new MessagingSession(router, socket, {
    participant,
    encoding: options.encoding ?? "json",
    canAddress: options.canAddress,
    admit: options.admit,
    maxCommands: options.maxCommandsPerFrame ?? 1000,
    maxInflight: options.maxInflight ?? 4096,
    heartbeatTimeout: checkHeartbeat(options.heartbeatTimeout ?? 30_000),
    maxBufferedBytes,
    closeSilent: CLOSE_PEER_SILENT,
    closeSlow: CLOSE_SLOW_CONSUMER,
  });
  return { participant, closed: session.closed };
}
