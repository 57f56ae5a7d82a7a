import assert from "node:assert/strict";
import { MessageRouter, MessagingClient } from "../../src/messaging/mod.ts";
import { serve } from "./_serve.ts";

Deno.test("client methods reject instead of throwing: bad URL, data that cannot be encoded", async () => {
  const router = new MessageRouter();
  const seen: unknown[] = [];
  router.register("room", { onMessage: (d) => void seen.push(d), onRequest: (d) => d });
  const srv = serve(router);
  const connecting = MessagingClient.connect("not a url").catch((e) => e.name as string);
  assert.equal(await connecting, "TypeError");
  const client = await MessagingClient.connect(srv.url, { batch: true });
  // One tick: the BigInt cannot be JSON; the send fails alone and the others go.
  const outcomes = await Promise.allSettled([
    client.send("room", "a"),
    client.send("room", 1n),
    client.request("room", "b"),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.equal((outcomes[1] as PromiseRejectedResult).reason.name, "TypeError");
  assert.deepEqual(seen, ["a"]);
  await client.close();
  await srv.stop();
});
