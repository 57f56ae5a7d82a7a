import assert from "node:assert/strict";
import {
  CLOSE_PEER_SILENT,
  type CodedError,
  MessageRouter,
  MessagingClient,
  serveMessagingSocket,
} from "../../src/messaging/mod.ts";
import { socketPair } from "../../src/common/socket.ts";
import { deferred, rejectsWith, serve } from "./_serve.ts";
import { tcpRelay } from "./_tcp_relay.ts";

/** Actor "room": echoes requests, never answers "hang", accepts channels and reports closes. */
function room(router: MessageRouter) {
  const closed = deferred<string>();
  router.register("room", {
    onRequest: (d) => d === "hang" ? new Promise(() => {}) : d,
    onChannelOpen: () => true,
    onChannelClose: (ch) => closed.resolve(ch.peer),
  });
  return { closed: closed.promise };
}

Deno.test("the server gives up a client that went silent: its channels close, the actor is told", async () => {
  const router = new MessageRouter();
  const actor = room(router);
  const srv = serve(router, { heartbeatTimeout: 300 });
  const relay = tcpRelay(srv.port);
  const client = await MessagingClient.connect(`ws://127.0.0.1:${relay.port}/messages`, {
    heartbeatTimeout: Infinity,
  });
  await client.openChannel("room");
  assert.equal(router.stats.channels, 1);
  relay.stall();
  // No close frame gets through: the server notices the silence by itself.
  assert.equal(await actor.closed, srv.connections[0]!.participant);
  await srv.connections[0]!.closed;
  assert.equal(router.stats.channels, 0);
  await relay.close();
  await client.closed;
  await srv.stop();
});

Deno.test("a client notices a silent server: pending requests fail with heartbeat_timed_out", async () => {
  const router = new MessageRouter();
  room(router);
  const srv = serve(router, { heartbeatTimeout: Infinity });
  const relay = tcpRelay(srv.port);
  const reported = deferred<CodedError>();
  const client = await MessagingClient.connect(`ws://127.0.0.1:${relay.port}/messages`, {
    heartbeatTimeout: 300,
    onDisconnect: reported.resolve,
  });
  const ch = await client.openChannel("room");
  const channelClosed = deferred();
  ch.onClose(() => channelClosed.resolve());
  const pending = client.request("room", "hang");
  relay.stall();
  await rejectsWith(pending, "heartbeat_timed_out");
  assert.equal((await reported.promise).code, "heartbeat_timed_out");
  await channelClosed.promise;
  await client.closed;
  await rejectsWith(client.request("room", 1), "connection_closed");
  await relay.close();
  await srv.stop();
});

Deno.test("an idle connection with heartbeats on both ends stays open", async () => {
  const router = new MessageRouter();
  room(router);
  const srv = serve(router, { heartbeatTimeout: 240 });
  const relay = tcpRelay(srv.port);
  let disconnected = false;
  const client = await MessagingClient.connect(`ws://127.0.0.1:${relay.port}/messages`, {
    heartbeatTimeout: 300,
    onDisconnect: () => (disconnected = true),
  });
  await client.request("room", "warm");
  // Idle: only heartbeats cross, both ways, for several timeouts.
  await Promise.all([relay.chunks("up", 8), relay.chunks("down", 8)]);
  assert.equal(await client.request("room", "still open"), "still open");
  assert.equal(disconnected, false);
  await client.close();
  await relay.close();
  await srv.stop();
});

Deno.test("heartbeat and buffer options are checked", async () => {
  const router = new MessageRouter();
  const [clientEnd, serverEnd] = socketPair();
  assert.throws(() => serveMessagingSocket(router, serverEnd, { heartbeatTimeout: 0 }), RangeError);
  assert.throws(() => serveMessagingSocket(router, serverEnd, { maxBufferedBytes: 0 }), RangeError);
  const connecting = MessagingClient.connect(clientEnd, { heartbeatTimeout: 10 });
  assert.equal(await connecting.catch((e) => e.name), "RangeError");
  clientEnd.close();
  assert.equal(CLOSE_PEER_SILENT, 4100);
});
