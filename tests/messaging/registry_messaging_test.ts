import assert from "node:assert/strict";
import { actor, setup, UserError } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";
import {
  type Channel,
  CLOSE_PEER_SILENT,
  type MessagingAuth,
  MessagingClient,
} from "../../src/messaging/mod.ts";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, String(err));
    return;
  }
  assert.fail(`Expected "${code}"`);
}

/** Answers messages, requests and channels; counts what it saw in its state. */
const pong = actor({
  state: { messages: [] as unknown[], from: [] as string[], closes: 0 },
  // Outside clients reach it over /messages when their token is not "mallory".
  onAuth: ({ request, intents }) =>
    !(intents.has("message") && new URL(request.url).searchParams.get("token") === "mallory"),
  actions: {
    seen: (c) => ({ ...c.state, messages: [...c.state.messages], from: [...c.state.from] }),
  },
  onMessage(c, data, from) {
    c.state.messages.push(data);
    c.state.from.push(from);
  },
  onRequest(c, data, from) {
    if (data === "user error") throw new UserError("Nope", { code: "nope" });
    if (data === "crash") throw new Error("internal detail");
    if (data === "count") return c.state.messages.length;
    return { echo: data, from, self: c.actorId };
  },
  onChannelOpen: (_c, _channel, initial) => initial === "hi",
  onChannelMessage(_c, channel, data) {
    channel.send({ echo: data });
  },
  onChannelClose(c) {
    c.state.closes++;
  },
});

/** Talks to other actors through `c.messages`. */
const ping = actor({
  actions: {
    id: (c) => c.actorId,
    tell: (c, target: string, data: unknown) => c.messages.send(target, data),
    ask: (c, target: string, data: unknown) => c.messages.request(target, data, { timeout: 5000 }),
    chat: async (c, target: string, words: string[]) => {
      const ch: Channel = await c.messages.openChannel(target, "hi");
      const got: unknown[] = [];
      const all = deferred();
      ch.onMessage((d) => {
        got.push(d);
        if (got.length === words.length) all.resolve();
      });
      for (const w of words) ch.send(w);
      await all.promise;
      ch.close();
      return got;
    },
    rejected: async (c, target: string) => {
      try {
        await c.messages.openChannel(target, "go away");
        return "accepted";
      } catch (err) {
        return (err as { code: string }).code;
      }
    },
  },
});

/** Sleeps on demand; counts wakes; keeps a counter in its persisted state. */
let slept = deferred();
let wakes = 0;
const sleeper = actor({
  state: { count: 0 },
  actions: {
    nap: (c) => c.sleep(),
  },
  onSleep: () => slept.resolve(),
  onWake: () => void wakes++,
  onMessage(c) {
    c.state.count++;
  },
  onRequest: (c) => c.state.count,
});

/** Sleeps by itself after a short idle time. */
let dozed = deferred();
const dozer = actor({
  state: { hits: 0 },
  onSleep: () => dozed.resolve(),
  onRequest: (c) => ++c.state.hits,
  options: { sleepTimeout: 20 },
});

/** Has message hooks but no onAuth: server code only. */
const hidden = actor({
  state: { messages: 0 },
  actions: { count: (c) => c.state.messages },
  onMessage: (c) => void c.state.messages++,
  onRequest: () => "secret",
  onChannelOpen: () => true,
});

const registry = setup({ use: { pong, ping, sleeper, dozer, hidden } });

Deno.test("two registry actors exchange send, request and channel messages", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  try {
    const p = server.client.ping.getOrCreate(["a"]);
    const q = server.client.pong.getOrCreate(["b"]);
    const pingId = await p.id();
    const pongId = await q.resolve();

    await p.tell(pongId, { n: 1 });
    await p.tell(pongId, { n: 2 });
    // Per-sender FIFO: the request is handled after both messages.
    assert.equal(await p.ask(pongId, "count"), 2);
    assert.deepEqual(await p.ask(pongId, "x"), { echo: "x", from: pingId, self: pongId });
    const seen = await q.seen();
    assert.deepEqual(seen.messages, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(seen.from, [pingId, pingId]);

    assert.deepEqual(await p.chat(pongId, ["a", "b", "c"]), [
      { echo: "a" },
      { echo: "b" },
      { echo: "c" },
    ]);
    assert.equal(await p.rejected(pongId), "channel_rejected");
    // Actions bypass the mailbox; a request queued after the close is handled
    // after it, so it works as a barrier before reading the state.
    await server.messaging.request(pongId, "x", { from: pingId });
    assert.equal((await q.seen()).closes, 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("errors thrown by actor hooks keep public codes and mask the rest", async () => {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  try {
    const pongId = await server.client.pong.getOrCreate(["e"]).resolve();
    const p = server.client.ping.getOrCreate(["e"]);
    await rejectsWith(server.messaging.request(pongId, "user error"), "nope");
    await rejectsWith(server.messaging.request(pongId, "crash"), "handler_failed");
    await rejectsWith(p.ask(pongId, "crash"), "handler_failed");
    await rejectsWith(server.messaging.request("no-such-actor", 1), "actor_not_found");
    // A one-way send to an id that does not exist fails to the sender too.
    await rejectsWith(server.messaging.send("no-such-actor", 1), "actor_not_found");
    await rejectsWith(p.tell("no-such-actor", 1), "actor_not_found");
  } finally {
    await server.shutdown();
  }
});

Deno.test("a message to an actor that sleeps wakes it, with its state", async () => {
  const letters: string[] = [];
  const server = registry.createServer({
    driver: memoryDriver(),
    messaging: { onDeadLetter: (l) => letters.push(l.error.code) },
  });
  try {
    slept = deferred();
    wakes = 0;
    const s = server.client.sleeper.getOrCreate(["z"]);
    const id = await s.resolve();
    server.messaging.send(id, "one");
    assert.equal(await server.messaging.request(id, "count?"), 1);
    assert.equal(server.messaging.has(id), true);

    await s.nap();
    await slept.promise;
    assert.equal(server.messaging.has(id), false, "a sleeping actor is unregistered");

    server.messaging.send(id, "two"); // wakes it; waits in its pending mailbox
    assert.equal(await server.messaging.request(id, "count?"), 2);
    assert.equal(wakes, 1);
    assert.equal(server.messaging.has(id), true);
    assert.deepEqual(letters, []);
  } finally {
    await server.shutdown();
  }
});

Deno.test("an actor put to sleep by its idle timeout is woken by a request", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  try {
    dozed = deferred();
    const id = await server.client.dozer.getOrCreate(["d"]).resolve();
    const me = server.messaging.participant("tester");
    assert.equal(await me.request(id, null), 1);
    await dozed.promise; // idle for sleepTimeout: it went to sleep
    assert.equal(server.messaging.has(id), false);
    dozed = deferred();
    assert.equal(await me.request(id, null), 2, "woken with its persisted state");
    assert.equal(server.messaging.has(id), true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("c.messages reaches an actor that was never loaded", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  try {
    // Created but not loaded: getOrCreate + resolve only writes the record.
    const pongId = await server.client.pong.getOrCreate(["cold"]).resolve();
    assert.equal(server.messaging.has(pongId), false);
    const p = server.client.ping.getOrCreate(["cold"]);
    assert.deepEqual((await p.ask(pongId, 7)) as { echo: unknown }, {
      echo: 7,
      from: await p.id(),
      self: pongId,
    });
  } finally {
    await server.shutdown();
  }
});

/** A real server on 127.0.0.1:0 serving the registry, with `/messages`. */
function listen(auth?: MessagingAuth) {
  const server = registry.createServer({
    driver: memoryDriver(),
    messaging: auth ? { auth } : {},
    logger: () => {},
  });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => server.fetch(req),
  );
  return {
    server,
    url: `ws://127.0.0.1:${http.addr.port}/messages`,
    async stop() {
      await server.shutdown();
      await http.shutdown();
      await http.finished;
    },
  };
}

Deno.test("an outside client reaches registry actors over /messages", async () => {
  const allowed = new Set<string>();
  const { server, url, stop } = listen((req) => {
    const token = new URL(req.url).searchParams.get("token");
    return token === "alice" ? { identity: "alice", canAddress: (t) => allowed.has(t) } : null;
  });
  try {
    const pongId = await server.client.pong.getOrCreate(["ws"]).resolve();
    const otherId = await server.client.pong.getOrCreate(["private"]).resolve();
    allowed.add(pongId);
    for (const encoding of ["json", "cbor"] as const) {
      const client = await MessagingClient.connect(`${url}?token=alice`, { encoding });
      const reply = await client.request(pongId, "hello", { timeout: 5000 }) as {
        from: string;
        self: string;
      };
      assert.equal(reply.self, pongId);
      assert.match(reply.from, /^client:alice:[0-9a-f]{32}$/);
      await client.send(pongId, encoding);

      const ch = await client.openChannel(pongId, "hi");
      const echoed = deferred<unknown>();
      ch.onMessage((d) => echoed.resolve(d));
      await ch.send("over the wire");
      assert.deepEqual(await echoed.promise, { echo: "over the wire" });
      await ch.close();

      await rejectsWith(client.request(otherId, "x"), "forbidden");
      await rejectsWith(client.request(pongId, "user error"), "nope");
      await client.close();
    }
    const seen = await server.client.pong.getOrCreate(["ws"]).seen();
    assert.deepEqual(seen.messages, ["json", "cbor"]);
    assert.equal(seen.closes, 2);
  } finally {
    await stop();
  }
});

Deno.test("/messages is refused with 403 without an auth hook or when the hook denies", async () => {
  const upgrade = { headers: { upgrade: "websocket", connection: "Upgrade" } };
  const off = listen();
  try {
    const res = await off.server.fetch(new Request("http://x/messages", upgrade));
    assert.equal(res.status, 403);
    assert.equal((await res.json()).code, "forbidden");
  } finally {
    await off.stop();
  }
  const on = listen(() => null);
  try {
    const res = await on.server.fetch(new Request("http://x/messages", upgrade));
    assert.equal(res.status, 403);
    assert.equal((await res.json()).code, "forbidden");
    // A real WebSocket client is refused too.
    await rejectsWith(MessagingClient.connect(on.url), "connection_closed");
  } finally {
    await on.stop();
  }
});

Deno.test("an outside client cannot reach an actor without onAuth, nor one whose onAuth denies it", async () => {
  const { server, url, stop } = listen((req) => {
    const token = new URL(req.url).searchParams.get("token");
    return token ? { identity: token } : null; // the grant allows every target
  });
  try {
    const hiddenId = await server.client.hidden.getOrCreate(["h"]).resolve();
    const pongId = await server.client.pong.getOrCreate(["p"]).resolve();
    const alice = await MessagingClient.connect(`${url}?token=alice`);
    await rejectsWith(alice.send(hiddenId, "x"), "forbidden");
    await rejectsWith(alice.request(hiddenId, "x"), "forbidden");
    await rejectsWith(alice.openChannel(hiddenId, "x"), "forbidden");
    // Order holds across the first (checked) command and the ones after it.
    await Promise.all([alice.send(pongId, 1), alice.send(pongId, 2), alice.send(pongId, 3)]);
    assert.equal(await alice.request(pongId, "count"), 3);
    await alice.close();
    const mallory = await MessagingClient.connect(`${url}?token=mallory`);
    await rejectsWith(mallory.send(pongId, "x"), "forbidden");
    await rejectsWith(mallory.request(pongId, "x"), "forbidden");
    await mallory.close();
    assert.equal(await server.client.hidden.getOrCreate(["h"]).count(), 0, "nothing reached it");
    assert.deepEqual((await server.client.pong.getOrCreate(["p"]).seen()).messages, [1, 2, 3]);
    // Server code still reaches it.
    assert.equal(await server.messaging.request(hiddenId, "x"), "secret");
  } finally {
    await stop();
  }
});

Deno.test("the server's messaging options set the /messages heartbeat", async () => {
  assert.throws(
    () => registry.createServer({ driver: memoryDriver(), messaging: { heartbeatTimeout: 1 } }),
    { code: "invalid_config" },
  );
  const server = registry.createServer({
    driver: memoryDriver(),
    messaging: { auth: () => ({}), heartbeatTimeout: 150 },
    logger: () => {},
  });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, server.fetch);
  try {
    // A raw client that never answers the server's pings.
    const ws = new WebSocket(`ws://127.0.0.1:${http.addr.port}/messages`);
    const closed = new Promise<number>((r) => ws.addEventListener("close", (e) => r(e.code)));
    assert.equal(await closed, CLOSE_PEER_SILENT);
  } finally {
    await server.shutdown();
    await http.shutdown();
    await http.finished;
  }
});
