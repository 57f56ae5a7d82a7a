/**
 * Connections: ids, params, connection state, hooks, refusal and ends.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { rejectsWith, waitForEvent } from "./_helpers.ts";

export const connectionCases: SuiteGroup = {
  name: "connections",
  cases: [
    {
      name: "a connection has the id the actor sees",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect();
        const id = await conn.ready();
        assert.equal(conn.id, id);
        assert.equal((await conn.connInfo()).id, id);
      },
    },
    {
      name: "connection params reach createConnState and c.conn.params",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect({ name: "bob" });
        const info = await conn.connInfo();
        assert.deepEqual(info.params, { name: "bob" });
        assert.deepEqual(info.state, { name: "bob", bumps: 0 });
      },
    },
    {
      name: "handle params are the default connection params",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key(), { params: { name: "eve" } }).connect();
        assert.deepEqual((await conn.connInfo()).params, { name: "eve" });
      },
    },
    {
      name: "connection state lives as long as the connection",
      async fn({ client, key }) {
        const handle = client.chat.getOrCreate(key());
        const a = handle.connect();
        const b = handle.connect();
        assert.equal(await a.bump(), 1);
        assert.equal(await a.bump(), 2);
        assert.equal(await b.bump(), 1);
      },
    },
    {
      name: "an event sent to a new connection in onConnect arrives after it opens",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect({ name: "zoe" });
        const welcome = waitForEvent<string>(conn, "welcome");
        assert.equal(await welcome, "zoe");
      },
    },
    {
      name: "onConnect runs for a new connection",
      async fn({ client, key }) {
        const handle = client.chat.getOrCreate(key());
        const observer = handle.connect();
        const observerId = await observer.ready();
        const joined = waitForEvent<string>(observer, "joined", (id) => id !== observerId);
        await observer.connInfo(); // the subscription has arrived
        const other = handle.connect();
        assert.equal(await joined, await other.ready());
      },
    },
    {
      name: "dispose() ends the connection on the server at once (onDisconnect runs)",
      // Over SSE a dispose only aborts the stream: the server keeps the
      // connection for its reconnect window (documented in sse_socket.ts).
      kinds: ["inline", "remote-http", "remote-ws"],
      async fn({ client, key }) {
        const handle = client.chat.getOrCreate(key());
        const observer = handle.connect();
        const leaving = handle.connect();
        const id = await leaving.ready();
        const left = waitForEvent<string>(observer, "left", (v) => v === id);
        await observer.connInfo(); // the subscription has arrived
        await leaving.dispose();
        assert.equal(await left, id);
        assert.equal(leaving.status, "closed");
        await rejectsWith(leaving.connInfo(), "connection_closed");
      },
    },
    {
      name: "onBeforeConnect can refuse a connection with a coded error",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect({ reject: true });
        await rejectsWith(conn.ready(), "refused_by_actor");
        assert.equal(conn.status, "closed");
      },
    },
    {
      name: "c.conn.disconnect() ends the connection for good",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect();
        await conn.ready();
        const closed = new Promise<{ code: number }>((r) => conn.onClose(r));
        await conn.kickMe().catch(() => {});
        assert.equal((await closed).code, 1000);
        assert.equal(conn.status, "closed");
      },
    },
  ],
};
