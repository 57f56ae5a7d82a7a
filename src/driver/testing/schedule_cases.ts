/**
 * Scheduled actions (`c.schedule.after` / `at`).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";
import { waitForEvent } from "./_helpers.ts";

export const scheduleCases: SuiteGroup = {
  name: "schedule",
  cases: [
    {
      name: "schedule.after() runs the action later",
      needs: ["alarms"],
      async fn({ client, key }) {
        const conn = client.scheduler.getOrCreate(key()).connect();
        const ticked = waitForEvent<string>(conn, "ticked", (v) => v === "later");
        await conn.tickLater(20, "later");
        assert.equal(await ticked, "later");
        assert.deepEqual(await conn.ticks(), ["later"]);
      },
    },
    {
      name: "schedule.at() runs the action at the given time, in time order",
      needs: ["alarms"],
      async fn({ client, key }) {
        const conn = client.scheduler.getOrCreate(key()).connect();
        const second = waitForEvent<string>(conn, "ticked", (v) => v === "second");
        const now = Date.now();
        await conn.tickAt(now + 60, "second");
        await conn.tickAt(now + 20, "first");
        assert.equal(await second, "second");
        assert.deepEqual(await conn.ticks(), ["first", "second"]);
      },
    },
  ],
};
