/**
 * Test helpers: a real `/messages` server on 127.0.0.1 and small promise tools.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseEncoding } from "../../src/common/encoding.ts";
import {
  type MessageRouter,
  type MessagingConnection,
  type ServeMessagingOptions,
  serveMessagingSocket,
} from "../../src/messaging/mod.ts";

/** A promise with its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Asserts that `p` rejects with a coded error `code`. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, String(err));
    return;
  }
  assert.fail(`Expected "${code}"`);
}

/** A real server on 127.0.0.1:0 mounting the endpoint at /messages with `options`. */
export function serve(router: MessageRouter, options: ServeMessagingOptions = {}) {
  const connections: MessagingConnection[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const url = new URL(req.url);
      if (url.pathname !== "/messages") return new Response("Not found", { status: 404 });
      const { socket, response } = Deno.upgradeWebSocket(req);
      const encoding = parseEncoding(url.searchParams.get("encoding"));
      connections.push(serveMessagingSocket(router, socket, { ...options, encoding }));
      return response;
    },
  );
  return {
    port: server.addr.port,
    url: `ws://127.0.0.1:${server.addr.port}/messages`,
    connections,
    async stop() {
      await Promise.all(connections.map((c) => c.closed));
      await server.shutdown();
      await server.finished;
    },
  };
}
