import assert from "node:assert/strict";
import { type Channel, MessageRouter, MessagingClient } from "../../src/messaging/mod.ts";
import { deferred, serve } from "./_serve.ts";

for (const encoding of ["json", "cbor"] as const) {
  Deno.test(`40,000 channel messages of 2 KiB pushed in one tick all reach the client (${encoding})`, async () => {
    const router = new MessageRouter();
    let end!: Channel;
    router.register("firehose", {
      onChannelOpen: (ch) => {
        end = ch;
        return true;
      },
    });
    const srv = serve(router);
    const client = await MessagingClient.connect(srv.url, { encoding });
    const ch = await client.openChannel("firehose");
    const total = 40_000;
    const payload = "x".repeat(2048);
    let got = 0;
    let intact = true;
    const all = deferred();
    ch.onMessage((d) => {
      if (d !== payload) intact = false;
      if (++got === total) all.resolve();
    });
    const lost = deferred<string>();
    client.closed.then(() => lost.resolve("the client dropped the connection"));
    for (let i = 0; i < total; i++) end.send(payload); // one tick: ~81 MiB of pushes
    const outcome = await Promise.race([all.promise.then(() => "all"), lost.promise]);
    assert.equal(outcome, "all");
    assert.equal(got, total);
    assert.ok(intact);
    await client.close();
    await srv.stop();
  });
}
