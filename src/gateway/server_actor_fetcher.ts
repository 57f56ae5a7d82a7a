/**
 * {@linkcode serverActorFetcher}: `actor://` targets delivered through a
 * server's own public path, so the actor's `onAuth` runs exactly as for an
 * outside HTTP request.
 *
 * @module
 */
import type { ActorFetcher } from "./request_proxy.ts";

/** A server's request handler (`server.fetch`). */
export type ServerFetch = (request: Request) => Promise<Response>;

/**
 * An {@linkcode ActorFetcher} that turns `actor://name/key/path` into a
 * request to the server's public raw-HTTP path
 * (`/actors/raw/http/path`, with a get-or-create-by-key query in
 * `x-sy-query`) and serves it with `server.fetch`. The actor's `onAuth` sees
 * the client's request fields, and an actor without `onAuth` is refused (403),
 * as it is for any outside request.
 *
 * @param fetch The server's `fetch`.
 * @returns The fetcher, for `RuntimeRouterOptions.actors`.
 *
 * @example Route to actors of a server
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * import { MemoryRouteStore, RuntimeRouter, serverActorFetcher } from "@switchyard/core/gateway";
 *
 * const counter = actor({
 *   state: { hits: 0 },
 *   onAuth: () => {}, // reachable from outside
 *   onFetch: (c) => new Response(`hit ${++c.state.hits}`),
 *   actions: {},
 * });
 * const server = setup({ use: { counter } }).createServer({ driver: memoryDriver() });
 * const router = new RuntimeRouter(new MemoryRouteStore({ fn: { "/c/*": "actor://counter/a" } }), {
 *   actors: serverActorFetcher(server.fetch),
 * });
 * const res = await router.handleRequest("fn", new Request("http://app.test/c/"));
 * console.assert((await res?.text()) === "hit 1");
 * router.close();
 * await server.shutdown();
 * ```
 */
export function serverActorFetcher(fetch: ServerFetch): ActorFetcher {
  if (typeof fetch !== "function") {
    throw new TypeError(
      `serverActorFetcher() needs the server's fetch function, got ${typeof fetch}`,
    );
  }
  return {
    fetch(name, key, request) {
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.set("x-sy-query", JSON.stringify({ getOrCreateForKey: { name, key } }));
      const init: RequestInit & { duplex?: "half" } = { method: request.method, headers };
      if (request.body !== null) {
        init.body = request.body;
        init.duplex = "half";
      }
      const path = url.pathname === "/" ? "" : url.pathname;
      return fetch(
        new Request(`http://gateway.internal/actors/raw/http${path}${url.search}`, init),
      );
    },
  };
}
