/**
 * `createClient(endpoint)`: the remote client, the client core over the
 * remote driver (HTTP for stateless actions, WebSocket or SSE for
 * connections).
 *
 * @module
 */
import { type Client, type ClientOptions, createClientWithDriver } from "./client.ts";
import type { RegistryShape, UntypedRegistry } from "./client_types.ts";
import { createRemoteDriver, type RemoteDriverOptions } from "./remote_driver.ts";

/** Options of {@linkcode createClient}. */
export interface RemoteClientOptions extends ClientOptions, RemoteDriverOptions {}

/**
 * Creates a client for a switchyard server. Type it with the registry to get
 * one typed method per action.
 *
 * @param endpoint The server's base URL, e.g. `http://127.0.0.1:8080`.
 * @param options Encoding, transport, extra headers and reconnect policy.
 * @returns The client; call `dispose()` to close its connections.
 * @throws {TypeError} When the endpoint is not an absolute http(s) URL.
 * @throws {RangeError} When an option is out of range.
 *
 * @example Call an action and listen to an event
 * ```ts ignore
 * import { createClient } from "@switchyard/core/client";
 * import type { registry } from "./server.ts";
 *
 * const client = createClient<typeof registry>("http://127.0.0.1:8080");
 * const counter = client.counter.getOrCreate(["my-counter"]);
 * console.log(await counter.increment(1));
 *
 * const conn = counter.connect();
 * conn.on("changed", (count: number) => console.log("now", count));
 * await conn.increment(2);
 * await client.dispose();
 * ```
 */
export function createClient<R extends RegistryShape = UntypedRegistry>(
  endpoint: string,
  options: RemoteClientOptions = {},
): Client<R> {
  const driver = createRemoteDriver(endpoint, { headers: options.headers, fetch: options.fetch });
  return createClientWithDriver<R>(driver, options);
}
