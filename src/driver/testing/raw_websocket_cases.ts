/**
 * Raw WebSockets to an actor's `onWebSocket`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SocketLike } from "../../client/mod.ts";
import type { SuiteGroup } from "./harness.ts";
import { rejectsWith } from "./_helpers.ts";

function inbox(socket: SocketLike) {
  const queue: unknown[] = [];
  let waiter: (() => void) | undefined;
  socket.addEventListener("message", (ev) => {
    queue.push(ev.data);
    waiter?.();
  });
  return async function next(): Promise<unknown> {
    while (queue.length === 0) await new Promise<void>((r) => (waiter = r));
    return queue.shift();
  };
}

export const rawWebSocketCases: SuiteGroup = {
  name: "raw websocket",
  cases: [
    {
      name: "text frames reach onWebSocket and come back, with the path and query",
      needs: ["rawWebSocket"],
      async fn({ client, key }) {
        const socket = await client.sockets.getOrCreate(key()).websocket("/room?x=1");
        const next = inbox(socket);
        assert.equal(await next(), "hello /room?x=1");
        socket.send("hi");
        assert.equal(await next(), "echo:hi");
      },
    },
    {
      name: "binary frames cross unchanged",
      needs: ["rawWebSocket"],
      async fn({ client, key }) {
        const socket = await client.sockets.getOrCreate(key()).websocket("/");
        const next = inbox(socket);
        await next();
        socket.send(new Uint8Array([1, 2, 3, 255]));
        const data = await next();
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data as Uint8Array;
        assert.deepEqual([...bytes], [255, 3, 2, 1]);
      },
    },
    {
      name: "the actor's close code and reason reach the client",
      needs: ["rawWebSocket"],
      async fn({ client, key }) {
        const socket = await client.sockets.getOrCreate(key()).websocket("/");
        const closed = new Promise<{ code: number; reason: string }>((r) =>
          socket.addEventListener("close", r)
        );
        socket.send("close");
        const ev = await closed;
        assert.equal(ev.code, 4321);
        assert.equal(ev.reason, "bye");
      },
    },
    {
      name: "an actor without onWebSocket refuses raw WebSockets",
      needs: ["rawWebSocket"],
      async fn({ client, key }) {
        const attempt = client.plain.getOrCreate(key()).websocket("/").then(
          (socket) =>
            new Promise<never>((_, reject) =>
              socket.addEventListener(
                "close",
                (ev) => reject(Object.assign(new Error("closed"), { code: `closed_${ev.code}` })),
              )
            ),
        );
        const err = await attempt.catch((e) => e);
        assert.ok(typeof err.code === "string", `got ${err}`);
        void rejectsWith;
      },
    },
  ],
};
