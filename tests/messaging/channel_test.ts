import assert from "node:assert/strict";
import { type Channel, MessageRouter } from "../../src/messaging/mod.ts";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, String(err));
    return;
  }
  assert.fail(`Expected "${code}"`);
}

/** An actor that accepts channels, echoes on them and records what it sees. */
function echoActor(router: MessageRouter, id: string) {
  const events: unknown[] = [];
  const closed = deferred<Channel>();
  router.register(id, {
    onChannelOpen: (_ch, initial) => initial !== "reject",
    onChannelMessage: (ch, data) => {
      events.push(data);
      ch.send(data);
    },
    onChannelClose: (ch) => closed.resolve(ch),
  });
  return { events, closed: closed.promise };
}

Deno.test("a channel carries messages both ways in order", async () => {
  const router = new MessageRouter();
  const echo = echoActor(router, "echo");
  const ch = await router.openChannel("me", "echo", { initial: "hi" });
  const got: unknown[] = [];
  const all = deferred();
  ch.onMessage((d) => {
    got.push(d);
    if (got.length === 100) all.resolve();
  });
  for (let i = 0; i < 100; i++) ch.send(i);
  await all.promise;
  assert.deepEqual(got, echo.events);
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(router.stats.channels, 1);
  ch.close();
  assert.equal((await echo.closed).id, ch.id);
  assert.equal(router.stats.channels, 0);
});

Deno.test("a rejected or unhandled open fails with channel_rejected or handler_failed", async () => {
  const router = new MessageRouter();
  echoActor(router, "echo");
  router.register("closed-shop", {});
  router.register("broken", {
    onChannelOpen: () => {
      throw new Error("boom");
    },
  });
  await rejectsWith(router.openChannel("me", "echo", { initial: "reject" }), "channel_rejected");
  await rejectsWith(router.openChannel("me", "closed-shop"), "channel_rejected");
  await rejectsWith(router.openChannel("me", "broken"), "handler_failed");
  assert.equal(router.stats.channels, 0);
});

Deno.test("either participant may close; anybody else gets not_a_participant", async () => {
  const router = new MessageRouter();
  const echo = echoActor(router, "echo");
  const ch = await router.openChannel("me", "echo");
  await rejectsWith(() => router.closeChannel(ch.id, { by: "mallory" }), "not_a_participant");
  await rejectsWith(() => router.sendOnChannel(ch.id, 1, { by: "mallory" }), "not_a_participant");
  assert.equal(ch.closed, false, "a refused close leaves the channel open");
  await rejectsWith(() => router.closeChannel("ch-none", { by: "me" }), "channel_not_found");

  const peerClosed = deferred();
  ch.onClose(() => peerClosed.resolve());
  router.closeChannel(ch.id, { by: "echo" });
  await peerClosed.promise;
  assert.equal(ch.closed, true);
  await rejectsWith(() => ch.send(1), "channel_not_found");
  await rejectsWith(() => router.closeChannel(ch.id, { by: "me" }), "channel_not_found");
  ch.close(); // idempotent
  void echo;
});

Deno.test("messages sent before a close arrive before it", async () => {
  const router = new MessageRouter();
  const seen: unknown[] = [];
  const done = deferred();
  router.register("sink", {
    onChannelOpen: () => true,
    onChannelMessage: (_ch, d) => void seen.push(d),
    onChannelClose: () => {
      seen.push("closed");
      done.resolve();
    },
  });
  const ch = await router.openChannel("me", "sink");
  ch.send(1);
  ch.send(2);
  ch.close();
  await done.promise;
  assert.deepEqual(seen, [1, 2, "closed"]);
});

Deno.test("messages sent while accepting and before a callback is set are kept", async () => {
  const router = new MessageRouter();
  router.register("greeter", {
    onChannelOpen: (ch) => {
      ch.send("welcome");
      ch.send("twice");
      return Promise.resolve(true);
    },
  });
  const ch = await router.openChannel("me", "greeter");
  const got: unknown[] = [];
  ch.onMessage((d) => got.push(d));
  assert.deepEqual(got, ["welcome", "twice"]);
  ch.close();
});

Deno.test("an open that times out closes the channel on the target when it accepts late", async () => {
  const router = new MessageRouter();
  const accept = deferred<boolean>();
  const closed = deferred<string>();
  router.register("slow", {
    onChannelOpen: () => accept.promise,
    onChannelClose: (ch) => closed.resolve(ch.id),
  });
  await rejectsWith(router.openChannel("me", "slow", { timeout: 5 }), "request_timed_out");
  accept.resolve(true);
  assert.match(await closed.promise, /^ch/);
  assert.equal(router.stats.channels, 0);
});

Deno.test("stopping an actor closes its channels and tells the other side", async () => {
  const router = new MessageRouter();
  echoActor(router, "echo");
  const toldActor = deferred<string>();
  router.register("watcher", { onChannelClose: (ch) => toldActor.resolve(ch.peer) });
  const fromClient = await router.openChannel("client", "echo");
  const fromActor = await router.openChannel("watcher", "echo");
  const toldClient = deferred();
  fromClient.onClose(() => toldClient.resolve());
  router.unregister("echo");
  await toldClient.promise;
  assert.equal(await toldActor.promise, "echo");
  assert.equal(fromActor.closed, true);
  assert.equal(router.stats.channels, 0);
});

Deno.test("a close that arrives before onClose is set is reported when it is set", async () => {
  const router = new MessageRouter();
  echoActor(router, "echo");
  const ch = await router.openChannel("me", "echo");
  router.closeChannel(ch.id, { by: "echo" });
  const told = deferred();
  ch.onClose(() => told.resolve());
  await told.promise;
});

Deno.test("an end without a callback refuses more than the capacity with mailbox_full", async () => {
  const router = new MessageRouter({ mailboxCapacity: 2 });
  let end!: Channel;
  router.register("talker", {
    onChannelOpen: (ch) => {
      end = ch;
      return true;
    },
  });
  const ch = await router.openChannel("me", "talker");
  end.send(1);
  end.send(2);
  await rejectsWith(() => end.send(3), "mailbox_full");
  const got: unknown[] = [];
  ch.onMessage((d) => got.push(d));
  end.send(4);
  assert.deepEqual(got, [1, 2, 4]);
  ch.close();
});
