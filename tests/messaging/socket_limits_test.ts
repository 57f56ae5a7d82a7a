import assert from "node:assert/strict";
import { OPEN, type SocketLike } from "../../src/common/socket.ts";
import {
  type Channel,
  CLOSE_SLOW_CONSUMER,
  MessageRouter,
  MessagingClient,
  serveMessagingSocket,
} from "../../src/messaging/mod.ts";
import { deferred, serve } from "./_serve.ts";
import { tcpRelay } from "./_tcp_relay.ts";

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

Deno.test("a client that does not read is disconnected with CLOSE_SLOW_CONSUMER; its channels close", async () => {
  const router = new MessageRouter();
  let end!: Channel;
  const told = deferred();
  router.register("firehose", {
    onChannelOpen: (ch) => {
      end = ch;
      return true;
    },
    onChannelClose: () => told.resolve(),
  });
  const srv = serve(router, { maxBufferedBytes: 4 << 20 });
  const relay = tcpRelay(srv.port);
  const client = await MessagingClient.connect(`ws://127.0.0.1:${relay.port}/messages`);
  await client.openChannel("firehose");
  relay.pause("down"); // the client reads nothing more
  const chunk = "x".repeat(256 * 1024);
  let pushed = 0;
  let ended = false;
  srv.connections[0]!.closed.then(() => (ended = true));
  while (!ended) {
    end.send(chunk); // one push per tick, each flushed on its own
    pushed += chunk.length;
    await new Promise((r) => setTimeout(r, 0)); // a new tick: lets the socket write, and flushes
  }
  await told.promise;
  assert.equal(router.stats.channels, 0);
  assert.ok(pushed < 256 << 20, `cut off after ${pushed >> 20} MiB`);
  await relay.close();
  await client.closed;
  await srv.stop();
});

Deno.test("past maxBufferedBytes the server closes the socket with code 4101", async () => {
  const router = new MessageRouter();
  router.register("echo", { onRequest: (d) => d });
  const closes: number[] = [];
  const listeners: ((ev: unknown) => void)[] = [];
  let replied = deferred();
  const socket: SocketLike & { bufferedAmount: number } = {
    readyState: OPEN,
    bufferedAmount: 0,
    send: () => replied.resolve(),
    close: (code?: number) => void closes.push(code ?? 1000),
    addEventListener: (type: string, l: (ev: never) => void) => {
      if (type === "message") listeners.push(l as (ev: unknown) => void);
    },
  };
  const conn = serveMessagingSocket(router, socket, { maxBufferedBytes: 1000 });
  const say = (cmd: unknown) => listeners.forEach((l) => l({ data: JSON.stringify(cmd) }));
  say({ id: 1, op: "request", to: "echo", data: "a" });
  await replied.promise;
  assert.deepEqual(closes, []);
  replied = deferred();
  socket.bufferedAmount = 1001; // the client stopped reading
  say({ id: 2, op: "request", to: "echo", data: "b" });
  await conn.closed;
  assert.deepEqual(closes, [CLOSE_SLOW_CONSUMER]);
});
