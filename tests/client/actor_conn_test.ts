import assert from "node:assert/strict";
import { createClientWithDriver } from "../../src/client/mod.ts";
import type { ClientDriver, ConnectOptions, SwitchyardError } from "../../src/client/mod.ts";
import { type SocketLike, socketPair } from "../../src/common/socket.ts";
import type { ClientMessage, ServerMessage } from "../../src/protocol/messages.ts";

/** The server end of one fake connection attempt. */
class FakeServer {
  readonly inbox: ClientMessage[] = [];
  /** Every frame as decoded: a message, or a list of messages. */
  readonly frames: unknown[] = [];
  #waiters: Array<() => void> = [];
  closed: Promise<{ code: number; reason: string }>;
  constructor(readonly socket: SocketLike, readonly options: ConnectOptions) {
    socket.addEventListener("message", (ev) => {
      const v = JSON.parse(ev.data as string); // one message or a batch (a list)
      this.frames.push(v);
      for (const m of Array.isArray(v) ? v : [v]) this.inbox.push(m);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((r) => socket.addEventListener("close", (ev) => r(ev)));
  }
  send(msg: ServerMessage): void {
    this.socket.send(JSON.stringify(msg));
  }
  /** Waits until `n` client messages arrived in total. */
  async received(n: number): Promise<ClientMessage[]> {
    while (this.inbox.length < n) await new Promise<void>((r) => this.#waiters.push(r));
    return this.inbox.slice(0, n);
  }
}

/** A client socket that holds message events until a message listener exists. */
function holdMessages(socket: SocketLike): SocketLike {
  const held: unknown[] = [];
  let deliver: ((ev: unknown) => void) | undefined;
  socket.addEventListener("message", (ev) => deliver ? deliver(ev) : held.push(ev));
  return new Proxy(socket, {
    get(t, prop) {
      if (prop !== "addEventListener") {
        const v = Reflect.get(t, prop, t);
        return typeof v === "function" ? v.bind(t) : v;
      }
      return (type: string, l: (ev: unknown) => void) => {
        if (type !== "message") return t.addEventListener(type as "open", l);
        const prev = deliver;
        deliver = prev ? (ev) => (prev(ev), l(ev)) : l;
        for (const ev of held.splice(0)) l(ev);
      };
    },
  });
}

function fakeDriver() {
  const servers: FakeServer[] = [];
  const waiting: Array<(s: FakeServer) => void> = [];
  const driver: ClientDriver = {
    resolve: () => Promise.resolve("actor-1"),
    action: () => Promise.resolve(undefined),
    connect(_query, options) {
      const [client, server] = socketPair();
      const fake = new FakeServer(server, options);
      const w = waiting.shift();
      if (w) w(fake);
      else servers.push(fake);
      return Promise.resolve(holdMessages(client));
    },
    fetch: () => Promise.reject(new Error("unused")),
    websocket: () => Promise.reject(new Error("unused")),
  };
  const next = () =>
    servers.length > 0
      ? Promise.resolve(servers.shift()!)
      : new Promise<FakeServer>((r) => waiting.push(r));
  return { driver, next };
}

function setup() {
  const { driver, next } = fakeDriver();
  const client = createClientWithDriver<FakeRegistry>(driver, {
    reconnect: { initialDelay: 0, jitter: 0, maxAttempts: 3 },
  });
  const conn = client.counter.getOrCreate("a").connect({ user: "u" });
  const errors: SwitchyardError[] = [];
  let errorSeen = () => {};
  conn.onError((e) => {
    errors.push(e);
    errorSeen();
  });
  const nextError = () => new Promise<void>((r) => (errorSeen = r));
  return { client, conn, next, errors, nextError };
}

/** The actors the fake server pretends to have (type-level only). */
interface FakeRegistry {
  actors: {
    counter: { actions: { increment: (c: never, by: number) => number; slow: (c: never) => void } };
  };
}

/** Records "tick" events; `untilSeen(n)` resolves once `n` have arrived. */
function watchTicks(conn: { on(name: string, fn: (n: number) => void): unknown }) {
  const seen: number[] = [];
  let wake = () => {};
  conn.on("tick", (n: number) => {
    seen.push(n);
    wake();
  });
  const untilSeen = (count: number) =>
    new Promise<void>((r) => {
      wake = () => seen.length >= count && r();
      wake();
    });
  return { seen, untilSeen };
}

const INIT: ServerMessage = { t: "init", connId: "c1", token: "tok", resumed: false, seq: 0 };

Deno.test("ActorConnection queues actions until init and matches results by id", async () => {
  const { client, conn, next } = setup();
  const a = conn.increment(1);
  const b = conn.increment(2);
  const server = await next();
  assert.deepEqual(server.options.params, { user: "u" });
  server.send(INIT);
  assert.equal(await conn.ready(), "c1");
  assert.equal(conn.id, "c1");
  const [m1, m2] = await server.received(2);
  assert.deepEqual(m1, { t: "action", id: 1, name: "increment", args: [1] });
  assert.deepEqual(m2, { t: "action", id: 2, name: "increment", args: [2] });
  server.send({ t: "result", id: 2, output: 3 });
  server.send({ t: "error", id: 1, code: "nope", message: "No", metadata: { x: 1 } });
  assert.equal(await b, 3);
  await assert.rejects(
    a,
    (e: SwitchyardError) => e.code === "nope" && (e.metadata as { x: number }).x === 1,
  );
  await client.dispose();
  assert.equal((await server.closed).code, 1000);
});

Deno.test("ActorConnection subscribes on the first listener and unsubscribes after the last", async () => {
  const { client, conn, next } = setup();
  const server = await next();
  server.send(INIT);
  await conn.ready();
  const seen: unknown[] = [];
  const off1 = conn.on("tick", (n: number) => seen.push(["a", n]));
  const off2 = conn.on("tick", (n: number) => seen.push(["b", n]));
  const onceSeen = new Promise((r) => conn.once("tick", r));
  assert.deepEqual(await server.received(1), [{ t: "sub", event: "tick" }]);
  server.send({ t: "event", seq: 1, name: "tick", args: [1] });
  server.send({ t: "event", seq: 2, name: "tick", args: [2] });
  assert.equal(await onceSeen, 1);
  off1();
  off2();
  assert.deepEqual((await server.received(2))[1], { t: "unsub", event: "tick" });
  assert.deepEqual(seen, [["a", 1], ["b", 1], ["a", 2], ["b", 2]]);
  await client.dispose();
});

Deno.test("ActorConnection resumes after a drop, dedupes replayed events and reports a gap", async () => {
  const { client, conn, next, errors, nextError } = setup();
  const first = await next();
  first.send(INIT);
  await conn.ready();
  const { seen, untilSeen } = watchTicks(conn);
  await first.received(1);
  first.send({ t: "event", seq: 5, name: "tick", args: [5] });
  await untilSeen(1);
  const inflight = conn.slow();
  await first.received(2);
  first.socket.close(1006, "network");
  await assert.rejects(inflight, (e: SwitchyardError) => e.code === "connection_lost");

  const second = await next();
  assert.deepEqual(second.options.resume, { connId: "c1", token: "tok", lastSeq: 5 });
  assert.deepEqual(second.options.subs, ["tick"]); // the resume carries the subscriptions
  const gap = nextError();
  second.send({ t: "init", connId: "c1", token: "tok", resumed: true, seq: 9 });
  second.send({ t: "gap", after: 5, upTo: 7 });
  await gap;
  assert.equal(errors[0]?.code, "events_missed");
  assert.deepEqual(errors[0]?.metadata, { after: 5, upTo: 7 });
  second.send({ t: "event", seq: 5, name: "tick", args: [5] }); // duplicate: dropped
  second.send({ t: "event", seq: 8, name: "tick", args: [8] });
  second.send({ t: "event", seq: 9, name: "tick", args: [9] });
  await untilSeen(3);
  assert.deepEqual(seen, [5, 8, 9]);
  assert.equal(conn.id, "c1");
  await client.dispose();
});

Deno.test("ActorConnection reports connection_reset when the server could not resume", async () => {
  const { client, conn, next, errors, nextError } = setup();
  const first = await next();
  first.send(INIT);
  await conn.ready();
  first.socket.close(4999, "drop");
  const second = await next();
  const reset = nextError();
  second.send({ t: "init", connId: "c2", token: "tok2", resumed: false, seq: 0 });
  await reset;
  assert.equal(errors[0]?.code, "connection_reset");
  assert.deepEqual(errors[0]?.metadata, { previousConnId: "c1", connId: "c2" });
  assert.equal(conn.id, "c2");
  await client.dispose();
});

Deno.test("ActorConnection does not reconnect after a fatal close and rejects with the server's error", async () => {
  const { client, conn, next, errors } = setup();
  const server = await next();
  const pending = conn.increment(1);
  const closed = new Promise((r) => conn.onClose(r));
  server.send({ t: "error", code: "forbidden", message: "Denied" });
  server.socket.close(4003, "forbidden");
  await assert.rejects(conn.ready(), (e: SwitchyardError) => e.code === "forbidden");
  await assert.rejects(pending, (e: SwitchyardError) => e.code === "forbidden");
  assert.equal(((await closed) as { code: number }).code, 4003);
  assert.equal(conn.status, "closed");
  assert.deepEqual(errors.map((e) => e.code), ["forbidden"]);
  await client.dispose();
});

Deno.test("ActorConnection ends quietly when the server closes with 1000", async () => {
  const { client, conn, next, errors } = setup();
  const server = await next();
  server.send(INIT);
  await conn.ready();
  const closed = new Promise<{ code: number; error?: unknown }>((r) => conn.onClose(r));
  server.socket.close(1000, "bye");
  const info = await closed;
  assert.equal(info.code, 1000);
  assert.equal(info.error, undefined);
  assert.deepEqual(errors, []);
  await assert.rejects(conn.increment(1), (e: SwitchyardError) => e.code === "connection_closed");
  await client.dispose();
});

Deno.test("ActorConnection gives up after maxAttempts with connection_failed", async () => {
  const { driver } = fakeDriver();
  let attempts = 0;
  driver.connect = () => {
    attempts++;
    return Promise.reject(new TypeError("network down"));
  };
  const client = createClientWithDriver<FakeRegistry>(driver, {
    reconnect: { initialDelay: 0, jitter: 0, maxAttempts: 2 },
  });
  const conn = client.counter.get("a").connect();
  await assert.rejects(conn.ready(), (e: SwitchyardError) => e.code === "connection_failed");
  assert.equal(attempts, 3);
  await client.dispose();
});

Deno.test("ActorConnection sends the messages of one tick as one list frame", async () => {
  const { client, conn, next } = setup();
  const server = await next();
  server.send(INIT);
  await conn.ready();
  conn.on("tick", () => {});
  const calls = [conn.increment(1), conn.increment(2), conn.increment(3)];
  const got = await server.received(4);
  assert.deepEqual(got.map((m) => m.t), ["sub", "action", "action", "action"]);
  assert.equal(server.frames.length, 1);
  assert.ok(Array.isArray(server.frames[0]));
  server.socket.send(JSON.stringify([1, 2, 3].map((id) => ({ t: "result", id, output: id }))));
  assert.deepEqual(await Promise.all(calls), [1, 2, 3]);
  await client.dispose();
});

Deno.test("ActorConnection dispatches a batch message by message, results after earlier events", async () => {
  const { client, conn, next } = setup();
  const server = await next();
  server.send(INIT);
  await conn.ready();
  const log: unknown[] = [];
  conn.on("tick", (n: number) => log.push(["tick", n]));
  conn.on("tock", (n: number) => log.push(["tock", n]));
  await server.received(2);
  const result = conn.increment(1).then((v) => log.push(["result", v, log.length]));
  await server.received(3);
  server.socket.send(JSON.stringify([
    { t: "event", seq: 1, name: "tick", args: [1] },
    { t: "event", seq: 2, name: "tock", args: [2] },
    { t: "result", id: 1, output: 7 },
    { t: "event", seq: 3, name: "tick", args: [3] },
  ]));
  await result;
  // Listeners ran back to back, in order; the awaiting code resumed after the batch.
  assert.deepEqual(log, [["tick", 1], ["tock", 2], ["tick", 3], ["result", 7, 3]]);
  await client.dispose();
});

Deno.test("ActorConnection dedupes replayed events inside a batch after a resume", async () => {
  const { client, conn, next } = setup();
  const first = await next();
  first.send(INIT);
  await conn.ready();
  const { seen, untilSeen } = watchTicks(conn);
  await first.received(1);
  first.socket.send(
    JSON.stringify([4, 5].map((seq) => ({ t: "event", seq, name: "tick", args: [seq] }))),
  );
  await untilSeen(2);
  first.socket.close(1006, "network");

  const second = await next();
  assert.deepEqual(second.options.resume, { connId: "c1", token: "tok", lastSeq: 5 });
  second.send({ t: "init", connId: "c1", token: "tok", resumed: true, seq: 7 });
  // A replay that overlaps what was seen: only the new events are dispatched.
  second.socket.send(
    JSON.stringify([3, 4, 5, 6, 7].map((seq) => ({ t: "event", seq, name: "tick", args: [seq] }))),
  );
  await untilSeen(4);
  assert.deepEqual(seen, [4, 5, 6, 7]);
  await client.dispose();
});

Deno.test("ActorConnection stops a batch when a listener disposes, and reports a broken batch", async () => {
  const { client, conn, next, errors, nextError } = setup();
  const server = await next();
  server.send(INIT);
  await conn.ready();
  const bad = nextError();
  server.socket.send('[{"t":"event","seq":1,"name":"tick","args":[]},{"no":"type"}]');
  await bad;
  assert.equal(errors[0]?.code, "malformed_message");
  const seen: number[] = [];
  conn.on("tick", (n: number) => {
    seen.push(n);
    if (n === 2) void conn.dispose();
  });
  await server.received(1);
  const closed = new Promise((r) => conn.onClose(r));
  server.socket.send(
    JSON.stringify([2, 3, 4].map((seq) => ({ t: "event", seq, name: "tick", args: [seq] }))),
  );
  await closed;
  assert.deepEqual(seen, [2]);
  await client.dispose();
});

Deno.test("connect() sends the listeners added in the same tick with the opening", async () => {
  const { client, conn, next } = setup();
  conn.on("tick", () => {});
  conn.on("tock", () => {});
  const server = await next();
  assert.deepEqual(server.options.subs, ["tick", "tock"]);
  server.send(INIT);
  assert.equal(await conn.ready(), "c1");
  await client.dispose();
});

Deno.test("ready() waits until a listener added while connecting is subscribed", async () => {
  const { client, conn, next } = setup();
  const server = await next();
  assert.deepEqual(server.options.subs, []);
  conn.on("tick", () => {}); // after the opening left, before init
  let ready = false;
  const readyDone = conn.ready().then(() => (ready = true));
  server.send(INIT);
  const [sub, ping] = await server.received(2);
  assert.deepEqual(sub, { t: "sub", event: "tick" });
  assert.equal(ping?.t, "ping");
  assert.equal(ready, false);
  server.send({ t: "pong", id: (ping as { id: number }).id });
  await readyDone;
  await client.dispose();
});
