/**
 * Events over connections: broadcast, one connection, once, unsubscribe and
 * order.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { collect, waitForEvent } from "./_helpers.ts";

export const eventCases: SuiteGroup = {
  name: "events",
  cases: [
    {
      name: "a broadcast reaches every subscribed connection",
      async fn({ client, key }) {
        const handle = client.chat.getOrCreate(key());
        const a = handle.connect();
        const b = handle.connect();
        const gotA = waitForEvent<string>(a, "message");
        const gotB = waitForEvent<string>(b, "message");
        await Promise.all([a.ready(), b.ready()]);
        // A round trip on each connection makes sure its subscription arrived.
        await Promise.all([a.connInfo(), b.connInfo()]);
        await a.say("hello");
        assert.equal(await gotA, "hello");
        assert.equal(await gotB, "hello");
      },
    },
    {
      name: "a listener added before ready() hears a broadcast made right after it resolves",
      async fn({ client, key }) {
        const k = key();
        for (let i = 0; i < 5; i++) {
          const conn = client.counter.getOrCreate(k).connect();
          const heard = new Promise<number>((resolve) => conn.on("changed", resolve));
          await conn.ready();
          const count = await client.counter.getOrCreate(k).increment(1);
          assert.equal(await heard, count);
          await conn.dispose();
        }
      },
    },
    {
      name: "a stateless action's broadcast reaches connections",
      async fn({ client, key }) {
        const k = key();
        const conn = client.counter.getOrCreate(k).connect();
        const changed = waitForEvent<number>(conn, "changed");
        await conn.getCount();
        await client.counter.getOrCreate(k).increment(7);
        assert.equal(await changed, 7);
      },
    },
    {
      name: "conn.send() reaches only that connection",
      async fn({ client, key }) {
        const handle = client.chat.getOrCreate(key());
        const a = handle.connect();
        const b = handle.connect();
        const directA = collect<string>(a, "direct");
        const markerA = waitForEvent(a, "marker");
        const directB = waitForEvent<string>(b, "direct");
        await a.connInfo();
        const bId = await b.ready();
        await b.connInfo();
        await a.sendTo(bId, "direct", "psst");
        assert.equal(await directB, "psst");
        await a.emitThen("other", "marker");
        await markerA;
        assert.deepEqual(directA.values, []);
      },
    },
    {
      name: "once() fires for the first event only",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect();
        const seen: number[] = [];
        conn.once("tick", (n: number) => seen.push(n));
        const all = collect<number>(conn, "tick");
        await conn.emitMany("tick", 3);
        await all.until(3);
        assert.deepEqual(seen, [1]);
      },
    },
    {
      name: "an unsubscribed listener hears nothing more",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect();
        const heard: string[] = [];
        const off = conn.on("news", (v: string) => heard.push(v));
        const first = waitForEvent(conn, "marker");
        await conn.emitThen("news", "marker");
        await first;
        assert.deepEqual(heard, ["first"]);
        off();
        const second = waitForEvent(conn, "marker");
        await conn.emitThen("news", "marker");
        await second;
        assert.deepEqual(heard, ["first"]);
      },
    },
    {
      name: "events arrive in the order they were sent",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect();
        const ticks = collect<number>(conn, "tick");
        await conn.emitMany("tick", 50);
        assert.deepEqual(await ticks.until(50), Array.from({ length: 50 }, (_, i) => i + 1));
      },
    },
    {
      name: "events of names nobody listens to are not delivered",
      async fn({ client, key }) {
        const conn = client.chat.getOrCreate(key()).connect();
        const unheard = collect(conn, "unheard");
        unheard.stop();
        const marker = waitForEvent(conn, "marker");
        await conn.emitThen("unheard", "marker");
        await marker;
        assert.deepEqual(unheard.values, []);
      },
    },
  ],
};
