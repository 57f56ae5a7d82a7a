import assert from "node:assert/strict";
import { parseEncoding } from "../../src/common/encoding.ts";
import {
  type Channel,
  MessageRouter,
  type MessagingAuth,
  MessagingClient,
  type MessagingConnection,
  serveMessagingSocket,
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

/** A real server on 127.0.0.1:0 mounting the endpoint at /messages. */
function serve(router: MessageRouter, auth?: MessagingAuth) {
  const connections: MessagingConnection[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (url.pathname !== "/messages") return new Response("Not found", { status: 404 });
      const grant = auth ? await auth(req) : {};
      if (grant === null) return new Response("Forbidden", { status: 403 });
      const { socket, response } = Deno.upgradeWebSocket(req);
      const encoding = parseEncoding(url.searchParams.get("encoding"));
      connections.push(serveMessagingSocket(router, socket, { ...grant, encoding }));
      return response;
    },
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}/messages`,
    connections,
    async stop() {
      await Promise.all(connections.map((c) => c.closed));
      await server.shutdown();
      await server.finished;
    },
  };
}

/** Actor "room": echoes requests, accepts channels and echoes on them. */
function room(router: MessageRouter) {
  const seen: [unknown, string][] = [];
  const ends: Channel[] = [];
  const closed: string[] = [];
  const gotSend = deferred();
  router.register("room", {
    onMessage: (data, from) => {
      seen.push([data, from]);
      gotSend.resolve();
    },
    onRequest: (data, from) => ({ data, from }),
    onChannelOpen: (ch, initial) => {
      ends.push(ch);
      ch.send({ welcome: initial });
      return true;
    },
    onChannelMessage: (ch, data) => ch.send({ echo: data }),
    onChannelClose: (ch) => void closed.push(ch.id),
  });
  return { seen, ends, closed, gotSend: gotSend.promise };
}

for (const encoding of ["json", "cbor"] as const) {
  Deno.test(`a client does all five commands over a real WebSocket (${encoding})`, async () => {
    const router = new MessageRouter();
    const actor = room(router);
    const srv = serve(router);
    const client = await MessagingClient.connect(srv.url, { encoding });

    await client.send("room", { hello: 1 });
    await actor.gotSend;
    const participant = srv.connections[0]!.participant;
    assert.match(participant, /^client:[0-9a-f]{32}$/);
    assert.deepEqual(actor.seen, [[{ hello: 1 }, participant]]);

    assert.deepEqual(await client.request("room", [1, 2]), { data: [1, 2], from: participant });
    if (encoding === "cbor") {
      const bytes = new Uint8Array([1, 2, 3]);
      const reply = await client.request("room", bytes) as { data: Uint8Array };
      assert.deepEqual([...reply.data], [1, 2, 3]);
    }

    const ch = await client.openChannel("room", "hi");
    const got: unknown[] = [];
    const two = deferred();
    ch.onMessage((d) => {
      got.push(d);
      if (got.length === 2) two.resolve();
    });
    await ch.send("ping");
    await two.promise;
    assert.deepEqual(got, [{ welcome: "hi" }, { echo: "ping" }]);

    await ch.close();
    assert.deepEqual(actor.closed, [ch.id]);
    await rejectsWith(ch.send("late"), "channel_not_found");

    await rejectsWith(client.request("nobody", 1), "actor_not_found");
    await client.close();
    await srv.stop();
  });
}

Deno.test("a send to an actor that is woken is acknowledged once it exists", async () => {
  const letters: string[] = [];
  const router: MessageRouter = new MessageRouter({
    onDeadLetter: (l) => letters.push(`${l.target}:${l.error.code}`),
    resolve: async (target) => {
      await Promise.resolve();
      if (target !== "sleeper") return null; // no such actor
      router.register(target, { onMessage: () => {} });
      return null;
    },
  });
  const srv = serve(router);
  const client = await MessagingClient.connect(srv.url, { batch: true });
  const [woken, ghost] = await Promise.allSettled([
    client.send("sleeper", 1),
    client.send("ghost", 2),
  ]);
  assert.equal(woken.status, "fulfilled");
  assert.equal(ghost.status, "rejected");
  assert.equal((ghost as PromiseRejectedResult).reason.code, "actor_not_found");
  assert.deepEqual(letters, ["ghost:actor_not_found"]);
  await client.close();
  await srv.stop();
});

Deno.test("two clients cannot use or close each other's channels", async () => {
  const router = new MessageRouter();
  const actor = room(router);
  const srv = serve(router);
  const alice = await MessagingClient.connect(srv.url);
  const ch = await alice.openChannel("room");
  const raw = await rawSocket(srv.url); // a second client, speaking the protocol by hand
  raw.send(JSON.stringify([
    { id: 1, op: "channel_send", channel: ch.id, data: "hijack" },
    { id: 2, op: "channel_close", channel: ch.id },
  ]));
  const replies = await raw.next() as { id: number; error: { code: string } }[];
  assert.deepEqual(replies.map((r) => [r.id, r.error.code]), [
    [1, "not_a_participant"],
    [2, "not_a_participant"],
  ]);
  assert.equal(ch.closed, false);
  assert.equal(actor.closed.length, 0);
  assert.notEqual(srv.connections[0]!.participant, srv.connections[1]!.participant);
  await raw.close();
  await alice.close();
  await srv.stop();
});

Deno.test("configure acks: ids acknowledges runs of commands with one reply, in order", async () => {
  const router = new MessageRouter();
  const actor = room(router);
  const srv = serve(router);
  const raw = await rawSocket(srv.url);
  raw.send(JSON.stringify([
    { id: 1, op: "send", to: "room", data: "before" },
    { id: 2, op: "configure", acks: "ids" },
    { id: 3, op: "send", to: "room", data: "a" },
    { id: "four", op: "send", to: "room", data: "b" },
    { id: 5, op: "request", to: "room", data: "r" },
    { id: 6, op: "send", to: "nobody", data: "c" },
    { id: 7, op: "send", to: "room", data: "d" },
    { id: 8, op: "configure", acks: "sometimes" },
  ]));
  // The request is answered in a later tick: the rest share the first frame.
  const first = await raw.next() as Record<string, unknown>[];
  assert.deepEqual(first, [
    { id: 1, ok: true },
    { ok: true, ids: [2, 3, "four"] },
    {
      id: 6,
      ok: false,
      error: {
        code: "actor_not_found",
        message: 'Actor "nobody" was not found',
        metadata: { actor: "nobody" },
      },
    },
    { id: 7, ok: true },
    first[4]!,
  ]);
  assert.equal((first[4] as { error: { code: string } }).error.code, "malformed_command");
  const reply = await raw.next() as { id: number; data: { data: unknown } };
  assert.equal(reply.id, 5);
  assert.equal(reply.data.data, "r");
  assert.deepEqual(actor.seen.map(([d]) => d), ["before", "a", "b", "d"]);
  // The client asks for it and understands both forms.
  const client = await MessagingClient.connect(srv.url, { batch: true });
  await Promise.all([client.send("room", 1), client.send("room", 2), client.request("room", 3)]);
  await rejectsWith(client.send("nobody", 4), "actor_not_found");
  await client.close();
  await raw.close();
  await srv.stop();
});

Deno.test("send_many is as many sends: one reply per id, failures on their own id", async () => {
  const router = new MessageRouter();
  const actor = room(router);
  const srv = serve(router, () => ({ canAddress: (to: string) => to !== "secret" }));
  const raw = await rawSocket(srv.url);
  raw.send(JSON.stringify([
    { id: 1, op: "configure", acks: "ids" },
    {
      id: 10,
      op: "send_many",
      to: ["room", "room", "nobody", "secret", "room"],
      data: [1, 2, 3, 4, 5],
    },
    { id: 20, op: "send", to: "room", data: 6 },
  ]));
  const frame = await raw.next() as Record<string, unknown>[];
  const codeOf = (m: Record<string, unknown>) => (m.error as { code: string }).code;
  assert.deepEqual(frame[0], { ok: true, ids: [1, 10, 11] });
  assert.deepEqual([frame[1]!.id, codeOf(frame[1]!)], [12, "actor_not_found"]);
  assert.deepEqual([frame[2]!.id, codeOf(frame[2]!)], [13, "forbidden"]);
  assert.deepEqual(frame[3], { ok: true, ids: [14, 20] });
  assert.deepEqual(actor.seen.map(([d]) => d), [1, 2, 5, 6]);
  // A run of consecutive ids is acknowledged by its ends.
  raw.send(
    JSON.stringify({ id: 50, op: "send_many", to: ["room", "room", "room"], data: [7, 8, 9] }),
  );
  assert.deepEqual(await raw.next(), { ok: true, range: [50, 52] });
  actor.seen.splice(4);
  // Malformed batches fail on their id; a frame's sends count against its limit.
  const bad = [
    { id: "s", op: "send_many", to: ["room"], data: [1] },
    { id: 1.5, op: "send_many", to: ["room"], data: [1] },
    { id: 30, op: "send_many", to: "room", data: [1] },
    { id: 31, op: "send_many", to: ["room", "room"], data: [1] },
    { id: 32, op: "send_many", to: [], data: [] },
    { id: 33, op: "send_many", to: [7], data: [1] },
    { id: 34, op: "send_many", to: new Array(1001).fill("room"), data: new Array(1001).fill(0) },
  ];
  for (const cmd of bad) raw.send(JSON.stringify(cmd));
  raw.send(JSON.stringify([
    { id: 40, op: "send_many", to: new Array(600).fill("room"), data: new Array(600).fill(0) },
    { id: 41, op: "send_many", to: new Array(600).fill("room"), data: new Array(600).fill(0) },
  ]));
  const replies: Record<string, unknown>[] = [];
  while (replies.length < bad.length + 1) replies.push(await raw.next() as Record<string, unknown>);
  assert.deepEqual(replies.map((m) => m.id), ["s", 1.5, 30, 31, 32, 33, 34, null]);
  assert.ok(replies.every((m) => codeOf(m) === "malformed_command"));
  assert.equal(actor.seen.length, 4, "nothing of a refused batch was delivered");
  // The client folds a tick's sends into send_many on its own, and every promise settles.
  const client = await MessagingClient.connect(srv.url, { batch: true });
  const sends = Array.from({ length: 300 }, (_, i) => client.send("room", i));
  const outcomes = await Promise.allSettled([...sends, client.send("nobody", 0)]);
  assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 300);
  await rejectsWith(
    Promise.reject((outcomes[300] as PromiseRejectedResult).reason),
    "actor_not_found",
  );
  assert.deepEqual(actor.seen.slice(4).map(([d]) => d), Array.from({ length: 300 }, (_, i) => i));
  await client.close();
  await raw.close();
  await srv.stop();
});

Deno.test("hundreds of malformed frames each get an error reply, then a command works", async () => {
  const router = new MessageRouter();
  room(router);
  const srv = serve(router);
  const raw = await rawSocket(srv.url);
  const bad: (string | Uint8Array)[] = [];
  for (let i = 0; i < 60; i++) {
    bad.push(`{"id": ${i}, "op": `); // truncated JSON: id salvaged
    bad.push("not json at all");
    bad.push(new Uint8Array([0xff, 0xfe, 0x1c, i])); // not CBOR
    bad.push(JSON.stringify({ id: `s${i}`, op: "teleport" }));
    bad.push(JSON.stringify([1, null, { op: "send" }, { id: `t${i}`, op: "send" }]));
    bad.push(JSON.stringify({ id: `m${i}`, op: "send_many", to: ["room"], data: [] }));
  }
  for (const frame of bad) raw.send(frame);
  raw.send(JSON.stringify({ id: "last", op: "request", to: "room", data: 7 }));
  const codes = new Map<string, number>();
  let salvaged = 0;
  for (;;) {
    const frame = await raw.next();
    const items = (Array.isArray(frame) ? frame : [frame]) as {
      id: unknown;
      ok: boolean;
      data?: unknown;
      error?: { code: string };
    }[];
    const last = items.find((m) => m.id === "last");
    for (const m of items) {
      if (m.error) codes.set(m.error.code, (codes.get(m.error.code) ?? 0) + 1);
      if (typeof m.id === "number" && m.error?.code === "malformed_frame") salvaged++;
    }
    if (last) {
      assert.equal(last.ok, true);
      assert.deepEqual((last.data as { data: unknown }).data, 7);
      break;
    }
  }
  assert.equal(salvaged, 60, "the id of a truncated JSON command is read back");
  assert.equal(codes.get("malformed_frame"), 180);
  assert.equal(codes.get("malformed_command"), 60 + 60 * 4 + 60);
  await raw.close();
  await srv.stop();
});

Deno.test("a slow request does not block the connection's other commands", async () => {
  const router = new MessageRouter();
  const release = deferred<string>();
  router.register("slow", { onRequest: () => release.promise });
  router.register("fast", { onRequest: (d) => d });
  const srv = serve(router);
  const client = await MessagingClient.connect(srv.url);
  const slow = client.request("slow", 0);
  for (let i = 0; i < 20; i++) assert.equal(await client.request("fast", i), i);
  release.resolve("finally");
  assert.equal(await slow, "finally");
  await client.close();
  await srv.stop();
});

Deno.test("the auth hook sets the identity and whom a client may address", async () => {
  const router = new MessageRouter();
  router.register("alice/inbox", { onRequest: (_d, from) => from });
  router.register("bob/inbox", { onRequest: (_d, from) => from });
  const srv = serve(router, (req) => {
    const user = new URL(req.url).searchParams.get("user");
    return user ? { identity: user, canAddress: (t) => t.startsWith(`${user}/`) } : null;
  });
  const alice = await MessagingClient.connect(`${srv.url}?user=alice`);
  assert.match(await alice.request("alice/inbox", 0) as string, /^client:alice:[0-9a-f]{32}$/);
  await rejectsWith(alice.request("bob/inbox", 0), "forbidden");
  await rejectsWith(alice.send("bob/inbox", 0), "forbidden");
  await rejectsWith(alice.openChannel("bob/inbox"), "forbidden");
  await rejectsWith(MessagingClient.connect(srv.url), "connection_closed");
  await alice.close();
  await srv.stop();
});

Deno.test("an actor's pushes and close reach the client; a client's disconnect reaches the actor", async () => {
  const router = new MessageRouter();
  const actor = room(router);
  const srv = serve(router);
  const client = await MessagingClient.connect(srv.url, { batch: true });
  const ch = await client.openChannel("room", "x");
  const got: unknown[] = [];
  ch.onMessage((d) => got.push(d));
  const closedByActor = deferred();
  ch.onClose(() => closedByActor.resolve());
  actor.ends[0]!.send("pushed");
  actor.ends[0]!.close();
  await closedByActor.promise;
  assert.deepEqual(got, [{ welcome: "x" }, "pushed"]);
  assert.equal(ch.closed, true);

  await client.openChannel("room", "y");
  const told = deferred<string>();
  actor.ends[1]!.onClose(() => told.resolve(actor.ends[1]!.peer));
  await client.close();
  assert.equal(await told.promise, srv.connections[0]!.participant);
  await srv.stop();
});

Deno.test("pending requests fail with connection_closed when the connection drops", async () => {
  const router = new MessageRouter();
  router.register("never", { onRequest: () => new Promise(() => {}) });
  const srv = serve(router);
  const client = await MessagingClient.connect(srv.url);
  const pending = client.request("never", 0);
  const done = client.close();
  await rejectsWith(pending, "connection_closed");
  await done;
  await rejectsWith(client.send("never", 1), "connection_closed");
  router.unregister("never");
  await srv.stop();
});

/** A plain WebSocket that yields decoded frames in order. */
async function rawSocket(url: string) {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const frames: unknown[] = [];
  let wake: (() => void) | null = null;
  ws.onmessage = (ev) => {
    frames.push(JSON.parse(ev.data as string));
    wake?.();
  };
  const closed = new Promise((r) => (ws.onclose = r));
  await new Promise((r) => (ws.onopen = r));
  return {
    send: (d: string | Uint8Array) => ws.send(d),
    async next(): Promise<unknown> {
      while (frames.length === 0) await new Promise<void>((r) => (wake = r));
      return frames.shift();
    },
    async close() {
      ws.close();
      await closed;
    },
  };
}
