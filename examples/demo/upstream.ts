/**
 * The demo's upstream: a small HTTP service on its own 127.0.0.1 port that
 * the gateway routes to, as a backend behind an API gateway would be.
 *
 * @module
 */

/** A running upstream. */
export interface Upstream {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Starts the upstream on a free 127.0.0.1 port. It answers JSON:
 * `GET /hello` a greeting, `GET /api/time` the time, any other path under
 * `/api` an echo of the request it received (method, path, query, the
 * `X-Forwarded-*` fields the gateway added).
 *
 * @returns The running upstream, once it listens.
 */
export async function startUpstream(): Promise<Upstream> {
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const http = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
  }, (request) => {
    const url = new URL(request.url);
    const seen = {
      method: request.method,
      path: url.pathname,
      query: url.search,
      forwardedFor: request.headers.get("x-forwarded-for"),
      forwardedHost: request.headers.get("x-forwarded-host"),
    };
    if (url.pathname === "/hello") {
      return Response.json({ message: "Hello from the upstream service", ...seen });
    }
    if (url.pathname === "/api/time") {
      return Response.json({ now: new Date().toISOString(), ...seen });
    }
    if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return Response.json(seen);
    return Response.json(
      { code: "not_found", message: `Upstream has no "${url.pathname}"` },
      { status: 404 },
    );
  });
  const { port } = await listening.promise;
  return { url: `http://127.0.0.1:${port}`, close: () => http.shutdown() };
}
