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
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * import { createClient } from "@switchyard/core/client";
 *
 * const counter = actor({
 *   state: { count: 0 },
 *   onAuth: () => {},
 *   actions: {
 *     increment: (c, by: number) => {
 *       c.state.count += by;
 *       c.broadcast("changed", c.state.count);
 *       return c.state.count;
 *     },
 *   },
 * });
 * const registry = setup({ use: { counter } });
 * const server = registry.createServer({ driver: memoryDriver() });
 * const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
 *
 * const client = createClient<typeof registry>(`http://127.0.0.1:${http.addr.port}`);
 * const handle = client.counter.getOrCreate(["my-counter"]);
 * console.assert((await handle.increment(1)) === 1); // over HTTP
 *
 * const conn = handle.connect(); // over a WebSocket
 * const changed = new Promise((resolve) => conn.on("changed", resolve));
 * await conn.increment(2);
 * console.assert((await changed) === 3);
 * await client.dispose();
 * await http.shutdown();
 * await server.shutdown();
 * ```
 */
export function createClient<R extends RegistryShape = UntypedRegistry>(
  endpoint: string,
  options: RemoteClientOptions = {},
): Client<R> {
  const driver = createRemoteDriver(endpoint, { headers: options.headers, fetch: options.fetch });
  return createClientWithDriver<R>(driver, options);
}
