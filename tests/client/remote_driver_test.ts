import assert from "node:assert/strict";
import { createRemoteDriver, type SwitchyardError } from "../../src/client/mod.ts";
import { decodeCbor, encodeCbor } from "../../src/common/encoding.ts";
import { parseSocketProtocols } from "../../src/protocol/headers.ts";
import type { ActorQuery } from "../../src/protocol/query.ts";

const QUERY: ActorQuery = { getOrCreateForKey: { name: "counter", key: ["ключ", "a/b"] } };

function recordingFetch(answer: (req: Request) => Response | Promise<Response>) {
  const requests: Request[] = [];
  return {
    requests,
    fetch: async (req: Request) => {
      requests.push(req.clone());
      return await answer(req);
    },
  };
}

const json = (v: unknown, status = 200) =>
  new Response(JSON.stringify(v), { status, headers: { "content-type": "application/json" } });

Deno.test("remote action posts JSON args with the query, encoding and user headers", async () => {
  const rec = recordingFetch(() => json({ output: 42 }));
  const driver = createRemoteDriver("http://host:1/base/", {
    headers: { authorization: "Bearer t" },
    fetch: rec.fetch,
  });
  assert.equal(await driver.action(QUERY, "add one", [1, "x"], { encoding: "json" }), 42);
  const req = rec.requests[0]!;
  assert.equal(req.method, "POST");
  assert.equal(req.url, "http://host:1/base/actors/actions/add%20one");
  assert.equal(req.headers.get("authorization"), "Bearer t");
  assert.equal(req.headers.get("x-sy-encoding"), "json");
  assert.equal(req.headers.get("content-type"), "application/json");
  assert.match(req.headers.get("x-sy-query")!, /^[\x20-\x7e]+$/);
  assert.deepEqual(JSON.parse(req.headers.get("x-sy-query")!), QUERY);
  assert.deepEqual(await req.json(), { args: [1, "x"] });
});

Deno.test("remote action speaks CBOR both ways", async () => {
  const rec = recordingFetch(() =>
    new Response(encodeCbor({ output: new Uint8Array([1, 2]) }), {
      headers: { "content-type": "application/cbor" },
    })
  );
  const driver = createRemoteDriver("http://host:1", { fetch: rec.fetch });
  const out = await driver.action(QUERY, "bytes", [new Uint8Array([9])], { encoding: "cbor" });
  assert.deepEqual(out, new Uint8Array([1, 2]));
  const req = rec.requests[0]!;
  assert.equal(req.headers.get("content-type"), "application/cbor");
  assert.deepEqual(decodeCbor(new Uint8Array(await req.arrayBuffer())), {
    args: [new Uint8Array([9])],
  });
});

Deno.test("remote action rebuilds coded errors and codes bad answers", async () => {
  let answer = () =>
    json({ code: "insufficient_funds", message: "Too low", metadata: { balance: 3 } }, 400);
  const driver = createRemoteDriver("http://host:1", { fetch: () => Promise.resolve(answer()) });
  await assert.rejects(
    driver.action(QUERY, "pay", [], { encoding: "json" }),
    (e: SwitchyardError) =>
      e.code === "insufficient_funds" && e.status === 400 && e.message === "Too low" &&
      (e.metadata as { balance: number }).balance === 3,
  );
  answer = () => new Response("<html>bad gateway</html>", { status: 502 });
  await assert.rejects(
    driver.action(QUERY, "pay", [], { encoding: "json" }),
    (e: SwitchyardError) => e.code === "unexpected_response",
  );
  answer = () => json({ nothing: true }, 500);
  await assert.rejects(
    driver.action(QUERY, "pay", [], { encoding: "json" }),
    (e: SwitchyardError) => e.code === "unexpected_response",
  );
  answer = () => {
    throw new TypeError("connection refused");
  };
  await assert.rejects(
    driver.action(QUERY, "pay", [], { encoding: "json" }),
    (e: SwitchyardError) => e.code === "network_error",
  );
});

Deno.test("remote resolve returns the actor id", async () => {
  const rec = recordingFetch(() => json({ actorId: "abc" }));
  const driver = createRemoteDriver("http://host:1", { fetch: rec.fetch });
  assert.equal(await driver.resolve(QUERY), "abc");
  assert.equal(rec.requests[0]!.url, "http://host:1/actors/resolve");
});

Deno.test("remote raw fetch passes method, headers, query string and a streamed body", async () => {
  const rec = recordingFetch(() => new Response("ok", { status: 201 }));
  const driver = createRemoteDriver("http://host:1", { headers: { "x-a": "1" }, fetch: rec.fetch });
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("streamed"));
      c.close();
    },
  });
  const res = await driver.fetch(QUERY, "/echo?x=1", {
    method: "PUT",
    headers: { "x-b": "2" },
    body,
  });
  assert.equal(res.status, 201);
  assert.equal(await res.text(), "ok");
  const req = rec.requests[0]!;
  assert.equal(req.url, "http://host:1/actors/raw/http/echo?x=1");
  assert.equal(req.method, "PUT");
  assert.equal(req.headers.get("x-a"), "1");
  assert.equal(req.headers.get("x-b"), "2");
  assert.deepEqual(JSON.parse(req.headers.get("x-sy-query")!), QUERY);
  assert.equal(await req.text(), "streamed");
});

Deno.test("remote WebSocket carries query, encoding, params and resume in sub-protocols", async () => {
  const opened: Array<{ url: string; protocols: string[] }> = [];
  const original = globalThis.WebSocket;
  class FakeWebSocket extends EventTarget {
    binaryType = "blob";
    readyState = 0;
    constructor(url: string, protocols: string[]) {
      super();
      opened.push({ url, protocols });
      queueMicrotask(() => {
        if (url.includes("fail")) {
          this.readyState = 3;
          this.dispatchEvent(Object.assign(new Event("close"), { code: 1006, reason: "" }));
        } else {
          this.readyState = 1;
          this.dispatchEvent(new Event("open"));
        }
      });
    }
  }
  globalThis.WebSocket = FakeWebSocket as unknown as typeof WebSocket;
  try {
    const driver = createRemoteDriver("https://host:1");
    const socket = await driver.connect(QUERY, {
      encoding: "cbor",
      transport: "websocket",
      params: { token: "é" },
      resume: { connId: "c1", token: "t1", lastSeq: 12 },
    });
    assert.equal(socket.binaryType, "arraybuffer");
    assert.equal(opened[0]!.url, "wss://host:1/actors/connect/websocket");
    assert.equal(opened[0]!.protocols[0], "switchyard");
    const values = parseSocketProtocols(opened[0]!.protocols.join(", "));
    assert.deepEqual(values, {
      other: [],
      query: QUERY,
      encoding: "cbor",
      params: { token: "é" },
      connId: "c1",
      connToken: "t1",
      lastSeq: 12,
    });
    await driver.websocket(QUERY, "/room?x=1", ["chat"]);
    assert.equal(opened[1]!.url, "wss://host:1/actors/raw/websocket/room?x=1");
    assert.deepEqual(parseSocketProtocols(opened[1]!.protocols.join(",")).other, ["chat"]);
    await assert.rejects(
      driver.websocket(QUERY, "/fail"),
      (e: SwitchyardError) => e.code === "connection_failed",
    );
  } finally {
    globalThis.WebSocket = original;
  }
});

Deno.test("remote SSE connection reads events and posts messages with the connection token", async () => {
  const encoder = new TextEncoder();
  let push!: (text: string) => void;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      push = (text) => text === "" ? c.close() : c.enqueue(encoder.encode(text));
    },
  });
  const rec = recordingFetch((req) => {
    if (req.url.endsWith("/actors/connect/sse")) {
      return new Response(stream, {
        headers: { "content-type": "text/event-stream", "x-sy-actor-id": "actor-9" },
      });
    }
    const msg = JSON.parse(req.headers.get("x-sy-conn-id") === "c1" ? "{}" : "null");
    if (msg === null) return json({ code: "bad_token", message: "No" }, 403);
    return req.text().then((t) =>
      t.includes('"fail"')
        ? json({ code: "too_big", message: "Too big" }, 413)
        : new Response(null, { status: 202 })
    );
  });
  const driver = createRemoteDriver("http://host:1", { fetch: rec.fetch });
  const socket = await driver.connect(QUERY, {
    encoding: "json",
    transport: "sse",
    params: { p: 1 },
    resume: { connId: "c0", token: "t0", lastSeq: 3 },
  });
  const sse = rec.requests[0]!;
  assert.equal(sse.headers.get("x-sy-conn-params"), '{"p":1}');
  assert.equal(sse.headers.get("x-sy-conn-id"), "c0");
  assert.equal(sse.headers.get("x-sy-conn-token"), "t0");
  assert.equal(sse.headers.get("x-sy-last-seq"), "3");
  const messages: unknown[] = [];
  let onMessage = () => {};
  socket.addEventListener("message", (ev) => {
    messages.push(JSON.parse(ev.data as string));
    onMessage();
  });
  const closed = new Promise<{ code: number }>((r) => socket.addEventListener("close", r));
  const next = () => new Promise<void>((r) => (onMessage = r));
  let got = next();
  push('data: {"t":"init","connId":"c1","token":"t1","resumed":false,"seq":0}\n\n');
  await got;
  got = next();
  socket.send(JSON.stringify({ t: "action", id: 7, name: "fail", args: [] }));
  await got;
  assert.deepEqual(messages[1], { t: "error", id: 7, code: "too_big", message: "Too big" });
  const post = rec.requests[1]!;
  assert.equal(post.url, "http://host:1/actors/message");
  assert.equal(post.headers.get("x-sy-conn-token"), "t1");
  assert.deepEqual(JSON.parse(post.headers.get("x-sy-query")!), {
    getForId: { name: "counter", actorId: "actor-9" },
  });
  push('event: close\ndata: {"code":4003,"reason":"forbidden"}\n\n');
  assert.equal((await closed).code, 4003);
  assert.equal(socket.readyState, 3);
});
