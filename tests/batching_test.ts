/**
 * Frame batching on connections (src/protocol/messages.ts): the batch
 * encoders, and the server and the remote client end to end over WebSocket
 * (JSON and CBOR) and SSE — a tick's events and results in one frame, in
 * order, dispatched one by one; results never overtaking events; replay
 * after a reconnect; lists of client messages. Nothing here sleeps.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import {
  type ClientDriver,
  type ClientOptions,
  createClientWithDriver,
  createRemoteDriver,
  type SocketLike,
} from "../src/client/mod.ts";
import { FRAME_TARGET_SIZE, packFrames } from "../src/client/_conn_outbox.ts";
import { SseSocket } from "../src/client/sse_socket.ts";
import { decode, decodeCbor, encodeCbor } from "../src/common/encoding.ts";
import { frameData } from "../src/common/socket.ts";
import { BATCH_MAX_SIZE, BatchCache, encodeBatches, Frame } from "../src/actor/frames.ts";
import type { ServerMessage } from "../src/protocol/messages.ts";
import { toSocketProtocols } from "../src/protocol/headers.ts";

// ---------------------------------------------------------------- encoders

function events(from: number, to: number, pad = ""): Frame[] {
  const out: Frame[] = [];
  for (let seq = from; seq <= to; seq++) {
    out.push(new Frame({ t: "event", seq, name: "tick", args: [seq, pad] }));
  }
  return out;
}

Deno.test("a CBOR batch is a CBOR array of the messages, for every array header size", () => {
  for (const n of [2, 23, 24, 255, 256, 65536]) {
    const frames = events(1, n);
    const parts = encodeBatches(frames, "cbor");
    // Up to 1 MiB per batch: the largest runs are split, each part a valid array.
    if (n <= 256) assert.equal(parts.length, 1);
    const decoded: ServerMessage[] = [];
    for (const part of parts) {
      assert.ok(part instanceof Uint8Array);
      decoded.push(...decodeCbor(part) as ServerMessage[]);
    }
    assert.deepEqual(decoded, frames.map((f) => f.msg));
  }
  // Mixed messages, bytes and all: exactly what encoding the list would give.
  const mixed = [
    new Frame({ t: "event", seq: 1, name: "a", args: [new Uint8Array([1, 2]), { x: 1 }] }),
    new Frame({ t: "result", id: 7, output: ["ok", 1.5, null] }),
    new Frame({ t: "error", id: 8, code: "nope", message: "No" }),
  ];
  const [batch] = encodeBatches(mixed, "cbor");
  assert.deepEqual(decodeCbor(batch as Uint8Array), mixed.map((f) => f.msg));
  assert.deepEqual([...batch as Uint8Array], [...encodeCbor(mixed.map((f) => f.msg))]);
});

Deno.test("a JSON batch is a JSON array of the messages; one message goes alone", () => {
  const frames = events(1, 3);
  const [batch] = encodeBatches(frames, "json");
  assert.deepEqual(JSON.parse(batch as string), frames.map((f) => f.msg));
  assert.deepEqual(encodeBatches(frames.slice(0, 1), "json"), [frames[0]!.get("json")]);
  assert.deepEqual(encodeBatches(frames.slice(0, 1), "cbor"), [frames[0]!.get("cbor")]);
});

Deno.test("batches stay under the size limit and keep every message in order", () => {
  const big = "x".repeat(BATCH_MAX_SIZE / 3);
  const frames = events(1, 10, big);
  for (const enc of ["json", "cbor"] as const) {
    const out = encodeBatches(frames, enc);
    assert.ok(out.length >= 4, `${enc}: ${out.length} frames`);
    const seqs: number[] = [];
    for (const f of out) {
      assert.ok(f.length <= BATCH_MAX_SIZE + 16, `${enc}: ${f.length}`);
      const v = decode(f) as ServerMessage | ServerMessage[];
      for (const m of Array.isArray(v) ? v : [v]) seqs.push((m as { seq: number }).seq);
    }
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  }
});

Deno.test("the batch cache shares one batch between identical runs only", () => {
  const frames = events(1, 5);
  const cache = new BatchCache();
  const a = cache.encode(frames, "json");
  const b = cache.encode([...frames], "json");
  const c = cache.encode([...frames.slice(0, 4), new Frame(frames[4]!.msg)], "json");
  const d = cache.encode(frames.slice(0, 4), "json");
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.deepEqual(a, c);
  assert.notEqual(a, d);
  assert.notEqual(cache.encode(frames, "cbor"), a);
});

Deno.test("client frames are packed under the target size, in order, JSON and CBOR", () => {
  const msgs = Array.from(
    { length: 300 },
    (_, i) => ({ t: "action", id: i + 1, name: "increment", args: [i] }),
  );
  const long = { t: "action", id: 999, name: "echo", args: ["y".repeat(5000)] };
  const all = [...msgs.slice(0, 150), long, ...msgs.slice(150)];
  for (const enc of ["json", "cbor"] as const) {
    const items = all.map((m) => enc === "json" ? JSON.stringify(m) : encodeCbor(m));
    const frames = packFrames(items, enc);
    const got: unknown[] = [];
    for (const f of frames) {
      const v = decode(f);
      if (Array.isArray(v)) {
        assert.ok(f.length <= FRAME_TARGET_SIZE, `${enc}: a list frame of ${f.length}`);
        got.push(...v);
      } else got.push(v);
    }
    assert.deepEqual(got, all);
    assert.ok(frames.length < all.length / 10, `${enc}: ${frames.length} frames`);
  }
});

// ---------------------------------------------------------------- end to end

const feed = actor({
  state: { n: 0 },
  onAuth: () => {},
  actions: {
    /** Broadcasts `tick` 1..count, then answers. */
    burst: (c, count: number) => {
      for (let i = 1; i <= count; i++) c.broadcast("tick", i);
      return count;
    },
    /** Events, a few promise hops, more events, then the answer. */
    burstAsync: async (c, count: number) => {
      for (let i = 1; i <= count; i++) c.broadcast("tick", i);
      for (let i = 0; i < 5; i++) await null;
      for (let i = count + 1; i <= 2 * count; i++) c.broadcast("tick", i);
      return 2 * count;
    },
    /** Sends `direct` 1..count to the caller only, then ends its connection. */
    sendThenBye: (c, count: number) => {
      for (let i = 1; i <= count; i++) c.conn!.send("direct", i);
      c.conn!.disconnect("bye");
      return count;
    },
    ping: () => "pong",
  },
});
const registry = setup({ use: { feed } });

interface Transport {
  name: string;
  options: ClientOptions;
}
const TRANSPORTS: Transport[] = [
  { name: "websocket json", options: { transport: "websocket", encoding: "json" } },
  { name: "websocket cbor", options: { transport: "websocket", encoding: "cbor" } },
  { name: "sse", options: { transport: "sse", encoding: "json" } },
];

/**
 * Wraps a socket so that every frame given to its `message` listeners is
 * also decoded into `frames` (the connection adds one such listener).
 */
function recording(socket: SocketLike, frames: unknown[]): SocketLike {
  return new Proxy(socket, {
    get(target, prop) {
      if (prop === "addEventListener") {
        return (type: string, listener: (ev: { data: unknown }) => void) =>
          target.addEventListener(
            type as "message",
            type === "message"
              ? (ev) => {
                frames.push(decode(frameData(ev.data)!));
                listener(ev);
              }
              : listener,
          );
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
    set: (target, prop, value) => Reflect.set(target, prop, value, target),
  });
}

/** A server on 127.0.0.1 and clients whose received frames and resumes can be watched. */
function harness() {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
  const url = `http://127.0.0.1:${http.addr.port}`;
  const clients: Array<{ dispose(): Promise<void> }> = [];
  const sockets: SocketLike[] = [];
  return {
    url,
    /**
     * A remote client. `frames` gets every decoded frame its connections
     * receive (a list for a batch); `hold()` makes resumes wait for `release()`.
     */
    client(options: ClientOptions) {
      const inner = createRemoteDriver(url);
      const frames: unknown[] = [];
      let gate: PromiseWithResolvers<void> | undefined;
      const driver: ClientDriver = {
        resolve: inner.resolve.bind(inner),
        action: inner.action.bind(inner),
        fetch: inner.fetch.bind(inner),
        websocket: inner.websocket.bind(inner),
        async connect(query, opts) {
          if (opts.resume && gate) await gate.promise;
          return recording(await inner.connect(query, opts), frames);
        },
      };
      const client = createClientWithDriver<typeof registry>(driver, {
        reconnect: { initialDelay: 0, jitter: 0, maxAttempts: 5 },
        ...options,
      });
      clients.push(client);
      return {
        client,
        frames,
        hold: () => void (gate = Promise.withResolvers()),
        release: () => gate?.resolve(),
      };
    },
    /** A raw WebSocket speaking JSON frames, resolved on `init`. */
    async raw(key: string[]) {
      const ws = new WebSocket(
        `${url.replace("http", "ws")}/actors/connect/websocket`,
        toSocketProtocols({
          query: { getOrCreateForKey: { name: "feed", key } },
          encoding: "json",
        }),
      );
      sockets.push(ws);
      const inbox: unknown[] = [];
      let wake = () => {};
      ws.onmessage = (ev) => {
        inbox.push(JSON.parse(ev.data as string));
        wake();
      };
      const next = async (): Promise<unknown> => {
        while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
        return inbox.shift();
      };
      assert.equal((await next() as { t: string }).t, "init");
      return { ws, next };
    },
    async close() {
      for (const s of sockets) {
        if (s.readyState > 1) continue;
        const closed = new Promise((r) => s.addEventListener("close", r));
        s.close(1000);
        await closed;
      }
      await Promise.all(clients.map((c) => c.dispose()));
      await server.shutdown();
      await http.shutdown();
    },
  };
}

type Msg = { t: string; seq?: number; id?: number };

/** The messages of the frames that held at least one event. */
function eventFrames(frames: unknown[]): Msg[][] {
  return frames.map((f) => (Array.isArray(f) ? f : [f]) as Msg[])
    .filter((list) => list.some((m) => m.t === "event"));
}

for (const transport of TRANSPORTS) {
  Deno.test(`${transport.name}: a tick's events arrive as one batch, dispatched one by one in order`, async () => {
    const h = harness();
    try {
      const { client, frames } = h.client(transport.options);
      const { client: otherClient, frames: otherFrames } = h.client(transport.options);
      const conn = client.feed.getOrCreate(["burst"]).connect();
      const other = otherClient.feed.getOrCreate(["burst"]).connect();
      const seen: number[] = [];
      const seenOther: number[] = [];
      conn.on("tick", (n: number) => seen.push(n));
      other.on("tick", (n: number) => seenOther.push(n));
      await Promise.all([conn.ping(), other.ping()]); // subscriptions are in place
      frames.length = 0;
      otherFrames.length = 0;
      const answer = await conn.burst(50);
      // The answer came after its events: all were dispatched already, one by one.
      assert.equal(answer, 50);
      assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i + 1));
      await other.ping(); // other's events arrived before this answer
      assert.deepEqual(seenOther, seen);
      for (const got of [frames, otherFrames]) {
        const withEvents = eventFrames(got);
        assert.equal(withEvents.length, 1, "one frame for the burst");
        const batch = withEvents[0]!;
        assert.equal(batch.length, 50);
        const seqs = batch.map((m) => m.seq!);
        assert.ok(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1), "per-event seq");
      }
      // On the caller's connection the result follows the batch.
      const resultAt = frames.findIndex((f) =>
        (Array.isArray(f) ? f : [f]).some((m: Msg) => m.t === "result" && m.id !== undefined)
      );
      assert.ok(resultAt > frames.findIndex(Array.isArray), "result after the events");
    } finally {
      await h.close();
    }
  });

  Deno.test(`${transport.name}: a result never overtakes events sent before it`, async () => {
    const h = harness();
    try {
      const { client } = h.client(transport.options);
      const conn = client.feed.getOrCreate(["order"]).connect();
      const seen: number[] = [];
      conn.on("tick", (n: number) => seen.push(n));
      await conn.ping();
      for (let round = 0; round < 5; round++) {
        seen.length = 0;
        assert.equal(await conn.burstAsync(10), 20);
        assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
      }
      // Calls of one tick share a frame both ways; each answer finds (at least)
      // the events of its own call and of the calls before it already dispatched.
      seen.length = 0;
      const counts = await Promise.all(
        [3, 4, 5].map((n) => conn.burst(n).then(() => seen.length)),
      );
      assert.ok(counts[0]! >= 3 && counts[1]! >= 7 && counts[2]! >= 12, String(counts));
      assert.equal(seen.length, 12);
    } finally {
      await h.close();
    }
  });

  Deno.test(`${transport.name}: events sent before a disconnect arrive before the close`, async () => {
    const h = harness();
    try {
      const { client } = h.client(transport.options);
      const conn = client.feed.getOrCreate(["bye"]).connect();
      const seen: number[] = [];
      conn.on("direct", (n: number) => seen.push(n));
      const closed = new Promise((r) => conn.onClose(r));
      await conn.ping();
      void conn.sendThenBye(20).catch(() => {}); // its answer races the close
      await closed;
      assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      await h.close();
    }
  });

  Deno.test(`${transport.name}: a resume replays the missed events as a batch, after a batch`, async () => {
    const h = harness();
    try {
      const { client, frames, hold, release } = h.client(transport.options);
      const { client: other } = h.client(transport.options);
      const conn = client.feed.getOrCreate(["replay"]).connect();
      const seen: number[] = [];
      let wake = () => {};
      conn.on("tick", (n: number) => {
        seen.push(n);
        wake();
      });
      const until = async (n: number) => {
        while (seen.length < n) await new Promise<void>((r) => (wake = r));
      };
      const id = await conn.ready();
      await conn.ping();
      await conn.burst(5); // seq 1..5, one batch
      hold();
      conn._dropForTest();
      await other.feed.getOrCreate(["replay"]).burst(7); // while disconnected
      frames.length = 0;
      release();
      await until(12);
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 6, 7]);
      assert.equal(conn.id, id);
      const replay = eventFrames(frames);
      assert.equal(replay.length, 1, "the replay is one frame");
      assert.equal(replay[0]!.length, 7);
      // Seq handling is unchanged: later events continue from the replay.
      await conn.burst(2);
      assert.deepEqual(seen.slice(12), [1, 2]);
    } finally {
      await h.close();
    }
  });
}

Deno.test("a frame may hold a list of client messages, handled in order", async () => {
  const h = harness();
  try {
    const { ws, next } = await h.raw(["list"]);
    // A subscription and an action in one frame: the action's events reach the subscription.
    ws.send(JSON.stringify([
      { t: "sub", event: "tick" },
      { t: "action", id: 1, name: "burst", args: [3] },
    ]));
    const batch = await next() as Msg[];
    assert.deepEqual(batch.map((m) => m.t), ["event", "event", "event"]);
    assert.deepEqual(await next(), { t: "result", id: 1, output: 3 });
    // A bad message in a list gets its own error; the others run.
    ws.send(JSON.stringify([
      { t: "nope" },
      { t: "action", id: 2, name: "ping", args: [] },
      { t: "action", id: 3, name: "missing", args: [] },
    ]));
    const answers: Array<Msg & { code?: string; output?: unknown }> = [];
    while (answers.length < 3) {
      const v = await next();
      answers.push(...(Array.isArray(v) ? v : [v]));
    }
    assert.equal(answers.length, 3);
    assert.equal(answers[0]!.code, "malformed_message"); // answered first: it ran first
    assert.deepEqual(answers.find((m) => m.id === 2), { t: "result", id: 2, output: "pong" });
    assert.equal(answers.find((m) => m.id === 3)?.code, "action_not_found");
    // Empty and overlong lists are refused as a whole.
    ws.send("[]");
    assert.equal((await next() as { code: string }).code, "malformed_message");
    ws.send(JSON.stringify(Array(1001).fill({ t: "sub", event: "x" })));
    assert.equal((await next() as { code: string }).code, "malformed_message");
    ws.send(JSON.stringify({ t: "action", id: 4, name: "ping", args: [] }));
    assert.deepEqual(await next(), { t: "result", id: 4, output: "pong" });
  } finally {
    await h.close();
  }
});

Deno.test("a failed SSE post fails every action of its batch", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      const init = { t: "init", connId: "c", token: "t", resumed: false, seq: 0 };
      c.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(init)}\n\n`));
    },
  });
  const socket = new SseSocket({
    response: new Response(body),
    abort: new AbortController(),
    post: () => Promise.reject(new Error("network down")),
  });
  const inbox: unknown[] = [];
  let wake = () => {};
  socket.addEventListener("message", (ev: { data: unknown }) => {
    inbox.push(JSON.parse(ev.data as string));
    wake();
  });
  const until = async (n: number) => {
    while (inbox.length < n) await new Promise<void>((r) => (wake = r));
  };
  await until(1);
  socket.send(JSON.stringify([
    { t: "action", id: 1, name: "a", args: [] },
    { t: "sub", event: "x" },
    { t: "action", id: 2, name: "b", args: [] },
  ]));
  await until(2);
  const errors = inbox[1] as Array<{ t: string; id: number }>;
  assert.deepEqual(errors.map((m) => [m.t, m.id]), [["error", 1], ["error", 2]]);
  const closed = new Promise((r) => socket.addEventListener("close", r));
  socket.close();
  await closed;
});
