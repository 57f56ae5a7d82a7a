/**
 * Reconnects: resume with the same id and state, replay of missed events,
 * gap notices, resets and actions lost in flight.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { collect, nextError, rejectsWith, waitForEvent } from "./_helpers.ts";

export const reconnectCases: SuiteGroup = {
  name: "reconnect",
  cases: [
    {
      name: "a dropped connection resumes with its id and state and gets missed events in order",
      needs: ["reconnect"],
      async fn({ gatedClient, key }) {
        const { client, hold, release } = gatedClient();
        const k = key();
        const conn = client.chat.getOrCreate(k).connect({ name: "resumer" });
        const id = await conn.ready();
        const ticks = collect<number>(conn, "tick");
        assert.equal(await conn.bump(), 1);
        await conn.emitMany("tick", 2);
        await ticks.until(2);

        hold();
        conn._dropForTest();
        await client.chat.getOrCreate(k).emitMany("tick", 3); // while disconnected
        release();

        assert.deepEqual(await ticks.until(5), [1, 2, 1, 2, 3]);
        assert.equal(conn.id, id);
        assert.equal(await conn.bump(), 2);
        const info = await conn.connInfo();
        assert.equal(info.id, id);
        assert.equal((info.state as { name: string }).name, "resumer");
        await conn.emitMany("tick", 1);
        assert.deepEqual(await ticks.until(6), [1, 2, 1, 2, 3, 1]);
      },
    },
    {
      name: "a gap is reported when more events were missed than the buffer holds",
      needs: ["reconnect"],
      async fn({ gatedClient, key }) {
        const { client, hold, release } = gatedClient();
        const k = key();
        const conn = client.smallBuffer.getOrCreate(k).connect();
        const ticks = collect<number>(conn, "tick");
        await conn.emitMany("tick", 1);
        await ticks.until(1);

        hold();
        conn._dropForTest();
        await client.smallBuffer.getOrCreate(k).emitMany("tick", 10);
        const gap = nextError(conn, "events_missed");
        release();

        const err = await gap;
        const { after, upTo } = err.metadata as { after: number; upTo: number };
        assert.ok(upTo > after, `gap after ${after} up to ${upTo}`);
        assert.deepEqual(await ticks.until(4), [1, 8, 9, 10]);
      },
    },
    {
      name: "an action in flight when the transport drops rejects with connection_lost",
      needs: ["reconnect"],
      async fn({ client, key }) {
        const conn = client.failing.getOrCreate(key()).connect();
        await conn.ready();
        const inflight = conn.hang();
        conn._dropForTest();
        await rejectsWith(inflight, "connection_lost");
        // Over SSE the post may not have left before the drop: only clean up.
        assert.ok((await conn.release()) <= 1);
      },
    },
    {
      name: "a connection the server forgot is replaced and reported as connection_reset",
      needs: ["reconnect"],
      async fn({ client: observerClient, gatedClient, key }) {
        const { client, hold, release } = gatedClient();
        const k = key();
        const observer = observerClient.noWindow.getOrCreate(k).connect();
        const conn = client.noWindow.getOrCreate(k).connect();
        const firstId = await conn.ready();
        const left = waitForEvent<string>(observer, "left", (v) => v === firstId);
        await observer.ping(); // the subscription has arrived

        hold();
        conn._dropForTest();
        await left; // the server ended the connection (no reconnect window)
        const reset = nextError(conn, "connection_reset");
        release();

        const err = await reset;
        assert.deepEqual(err.metadata, { previousConnId: firstId, connId: conn.id });
        assert.notEqual(conn.id, firstId);
        assert.equal(await conn.ping(), "pong");
      },
    },
  ],
};
