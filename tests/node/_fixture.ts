/**
 * The registry the Node tests serve, and a helper that starts it on
 * 127.0.0.1:0 through the Node adapter.
 *
 * @module
 */
import { actor, setup, UserError } from "../../mod.ts";
import type { Server } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import { type NodeServer, serve } from "../../adapters/node.ts";

/** A counter that broadcasts `changed`, raw HTTP and a raw WebSocket echo. */
export const counter = actor({
  state: { count: 0 },
  onAuth: () => {},
  actions: {
    increment: (c, by: number) => {
      c.state.count += by;
      c.broadcast("changed", c.state.count);
      return c.state.count;
    },
    count: (c) => c.state.count,
    fail: () => {
      throw new UserError("Counter refuses", { code: "refused", metadata: { why: "test" } });
    },
  },
  onFetch: async (c, request) => {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.text() : "";
    return Response.json({ path: url.pathname, search: url.search, body, count: c.state.count });
  },
  onWebSocket: (_c, socket, { request }) => {
    socket.send(`hello ${new URL(request.url).pathname}`);
    socket.addEventListener("message", (ev) => {
      if (typeof ev.data === "string") socket.send(`echo:${ev.data}`);
      else socket.send(ev.data as ArrayBuffer);
    });
  },
});

/** The registry under test. */
export const registry = setup({ use: { counter } });

/** A served registry: the switchyard server and the Node HTTP server. */
export interface Served {
  /** The switchyard server. */
  server: Server<typeof registry>;
  /** The Node HTTP server. */
  http: NodeServer;
  /** Closes both. */
  close(): Promise<void>;
}

/**
 * Creates a server on the memory driver and serves it on 127.0.0.1:0.
 *
 * @returns The running servers.
 */
export async function start(): Promise<Served> {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  const http = await serve(server, { port: 0 });
  return {
    server,
    http,
    async close() {
      await http.close();
      await server.shutdown();
    },
  };
}

/**
 * Waits for the next `n` values of a listener-style source.
 *
 * @param subscribe Registers a listener, returns an unsubscribe function.
 * @param n How many values to wait for.
 * @param ms Give up after this many milliseconds.
 * @returns The values.
 */
export function nextValues<T>(
  subscribe: (listener: (value: T) => void) => () => void,
  n: number,
  ms = 5000,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`Timed out after ${values.length} of ${n} values`));
    }, ms);
    const off = subscribe((v) => {
      values.push(v);
      if (values.length < n) return;
      clearTimeout(timer);
      off();
      resolve(values);
    });
  });
}
