/**
 * The one place that knows how each runtime upgrades a request to a
 * WebSocket. Deno: `Deno.upgradeWebSocket`; Workers: `WebSocketPair`; Node:
 * the adapter (`adapters/node.ts`) passes `env.upgradeWebSocket`.
 *
 * @module
 */
import type { SocketLike } from "../common/socket.ts";

/** Upgrades a request; the response must be returned to the runtime. */
export type Upgrader = (
  request: Request,
  options: { protocol?: string },
) => { socket: SocketLike; response: Response };

/**
 * The current runtime's upgrader, if it has one built in.
 *
 * @returns The upgrader, or `undefined` (e.g. on Node without the adapter).
 */
export function detectUpgrader(): Upgrader | undefined {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (typeof g.Deno?.upgradeWebSocket === "function") {
    return (request, options) => g.Deno.upgradeWebSocket(request, options);
  }
  if (typeof g.WebSocketPair === "function") {
    return () => {
      const pair = new g.WebSocketPair();
      const [client, server] = Object.values(pair) as [unknown, SocketLike & { accept(): void }];
      server.accept();
      return {
        socket: server,
        response: new Response(null, { status: 101, webSocket: client } as ResponseInit),
      };
    };
  }
  return undefined;
}
