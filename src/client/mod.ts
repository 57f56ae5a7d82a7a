/**
 * The switchyard client: typed handles to actors, stateless actions over
 * HTTP, live connections over WebSocket or SSE with automatic resume, raw
 * HTTP and WebSocket access. Browser-safe: it uses only web-standard
 * globals and contains no server code.
 *
 * Not run as a test: `./server.ts` stands for the module of the server that
 * exports its registry (see {@linkcode createClient} for a runnable example).
 *
 * @example Count with a remote actor
 * ```ts ignore
 * import { createClient } from "@switchyard/core/client";
 * import type { registry } from "./server.ts";
 *
 * const client = createClient<typeof registry>("http://127.0.0.1:8080");
 * const conn = client.counter.getOrCreate("a").connect();
 * conn.on("changed", (count: number) => console.log(count));
 * await conn.increment(1);
 * await client.dispose();
 * ```
 *
 * @module
 */

// Clients
export { createClient, type RemoteClientOptions } from "./remote_client.ts";
export {
  type ActorAccessor,
  type ActorKeyInput,
  type Client,
  type ClientMethods,
  type ClientOptions,
  createClientWithDriver,
  type CreateOptions,
  type HandleOptions,
} from "./client.ts";

// Handles and connections
export type {
  ActorConn,
  ActorConnectionLike,
  ActorHandle,
  ActorHandleMethods,
  ConnParamsOf,
} from "./actor_handle.ts";
export {
  type ActorConnection,
  type ActorConnectionOptions,
  type ConnCloseInfo,
  type ConnectionStatus,
} from "./actor_conn.ts";
export type { ReconnectOptions, ResolvedReconnectOptions } from "./backoff.ts";
export type {
  ActionMethod,
  ActorActions,
  ActorsOf,
  RegistryShape,
  UntypedRegistry,
} from "./client_types.ts";

// Drivers
export type { ClientDriver, ConnectOptions, ConnTransport } from "./client_driver.ts";
export { createRemoteDriver, type RemoteDriverOptions } from "./remote_driver.ts";

// Shared wire types and errors
export type { ErrorBody, SwitchyardError, SwitchyardErrorOptions } from "../common/errors.ts";
export type { Encoding } from "../common/encoding.ts";
export type { SocketCloseEvent, SocketLike, SocketMessageEvent } from "../common/socket.ts";
export type { ActorKey, ActorQuery } from "../protocol/query.ts";
