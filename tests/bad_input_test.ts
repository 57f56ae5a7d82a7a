import assert from "node:assert/strict";
import { z } from "zod";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { decodeCbor, encodeCbor } from "../src/common/encoding.ts";
import { toSocketProtocols } from "../src/protocol/headers.ts";

let runs = 0;
const counter = actor({
  state: { count: 0 },
  onAuth: () => {},
  actions: {
    increment: {
      args: z.tuple([z.number()]),
      handler: (c, by: number) => {
        runs++;
        return (c.state.count += by);
      },
    },
    add: { args: z.tuple([z.number(), z.number()]), handler: (_c, a: number, b: number) => a + b },
  },
});
const registry = setup({ use: { counter } });
const query = JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["bad"] } });

function post(path: string, headers: Record<string, string>, body?: BodyInit): Request {
  return new Request(`http://local${path}`, { method: "POST", headers, body });
}

function hostileRequests(): Request[] {
  const out: Request[] = [];
  const json = { "content-type": "application/json" };
  const badQueries = [
    "",
    "{",
    "null",
    "[]",
    "42",
    '"x"',
    "{}",
    '{"a":1,"b":2}',
    '{"getForKey":null}',
    '{"getForKey":{}}',
    '{"getForKey":{"name":""}}',
    '{"getForKey":{"name":"nope","key":["a"]}}',
    '{"getForId":{"name":"counter"}}',
    '{"getForId":{"name":"counter","actorId":"missing"}}',
    '{"getForKey":{"name":"counter","key":[1,2]}}',
    '{"create":{"name":"counter","key":"x".repeat(9)}}',
    `{"getOrCreateForKey":{"name":"counter","key":${JSON.stringify(Array(40).fill("k"))}}}`,
    `{"getOrCreateForKey":{"name":"${"n".repeat(300)}","key":[]}}`,
    '{"__proto__":{"x":1}}',
  ];
  for (const q of badQueries) {
    out.push(post("/actors/actions/increment", { ...json, "x-sy-query": q }, '{"args":[1]}'));
    out.push(post("/actors/resolve", { "x-sy-query": q }));
  }
  const bodies: BodyInit[] = [
    "",
    "{",
    "null",
    "[]",
    '{"args":1}',
    '{"args":"x"}',
    "\u0000\u0001",
    "x".repeat(5000),
    new Uint8Array([0xff, 0xfe, 0xfd]),
    '{"args":[1]',
    "undefined",
    '{"args":{"0":1}}',
  ];
  for (const b of bodies) {
    out.push(post("/actors/actions/increment", { ...json, "x-sy-query": query }, b));
    out.push(
      post("/actors/actions/increment", { "x-sy-query": query, "x-sy-encoding": "cbor" }, b),
    );
  }
  for (const enc of ["xml", "CBOR", "json;q=1", "\u00ff"]) {
    out.push(
      post(
        "/actors/actions/increment",
        { "x-sy-query": query, "x-sy-encoding": enc },
        '{"args":[1]}',
      ),
    );
  }
  for (
    const name of [
      "nope",
      "constructor",
      "__proto__",
      "toString",
      "x".repeat(300),
      "%00",
      "hasOwnProperty",
    ]
  ) {
    out.push(
      post(
        `/actors/actions/${encodeURIComponent(name)}`,
        { ...json, "x-sy-query": query },
        '{"args":[]}',
      ),
    );
  }
  for (const args of [["a", "b"], [1], [], [1, 2, 3], [null, {}], ["1", 2]]) {
    out.push(
      post("/actors/actions/add", { ...json, "x-sy-query": query }, JSON.stringify({ args })),
    );
  }
  const big = "x".repeat(70_000);
  out.push(
    post("/actors/actions/increment", { ...json, "x-sy-query": query }, `{"args":["${big}"]}`),
  );
  out.push(
    post(
      "/actors/actions/increment",
      { "x-sy-query": query, "x-sy-encoding": "cbor" },
      encodeCbor({ args: [big] }),
    ),
  );
  out.push(
    post("/actors/message", {
      "x-sy-query": query,
      "x-sy-conn-id": "nope",
      "x-sy-conn-token": "nope",
    }, "{}"),
  );
  out.push(post("/actors/message", { "x-sy-query": query }, "{}"));
  out.push(
    new Request("http://local/actors/connect/websocket", { headers: { "x-sy-query": query } }),
  );
  out.push(
    new Request("http://local/actors/connect/sse", {
      headers: { "x-sy-query": query, "x-sy-conn-params": "{" },
    }),
  );
  out.push(new Request("http://local/actors/raw/http/x", { headers: { "x-sy-query": query } }));
  out.push(new Request("http://local/actors", { headers: { authorization: "Bearer wrong" } }));
  out.push(new Request("http://local/nowhere"));
  for (let i = 0; i < 150; i++) {
    const junk = crypto.getRandomValues(new Uint8Array(16 + i));
    out.push(
      post("/actors/actions/increment", {
        "x-sy-query": query,
        "x-sy-encoding": i % 2 ? "cbor" : "json",
      }, junk),
    );
  }
  return out;
}

Deno.test("a few hundred hostile HTTP requests each get a coded 4xx and lose nothing", async () => {
  const server = registry.createServer({ driver: memoryDriver(), maxBodySize: 64 * 1024 });
  const handle = server.client.counter.getOrCreate(["bad"]);
  await handle.increment(0);
  runs = 0;
  const requests = hostileRequests();
  assert.ok(requests.length >= 200, `${requests.length} requests`);
  for (const req of requests) {
    const res = await server.fetch(req);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    assert.ok(
      res.status >= 400 && res.status < 500,
      `${req.method} ${req.url} ${req.headers.get("x-sy-query")}: ${res.status} ${text}`,
    );
    const body = res.headers.get("content-type") === "application/cbor"
      ? decodeCbor(bytes) as { code: string; message: string }
      : JSON.parse(text);
    assert.match(body.code, /^[a-z_]+$/, text);
    assert.equal(typeof body.message, "string");
  }
  // Hostile input never reached increment, and the server still serves.
  assert.equal(runs, 0);
  const res = await server.fetch(
    post(
      "/actors/actions/increment",
      { "x-sy-query": query, "content-type": "application/json" },
      '{"args":[2]}',
    ),
  );
  assert.deepEqual(await res.json(), { output: 2 });
  assert.equal(await handle.increment(1), 3);
  await server.shutdown();
});

Deno.test("oversized bodies answer body_too_large with the limit", async () => {
  const server = registry.createServer({ driver: memoryDriver(), maxBodySize: 1024 });
  const res = await server.fetch(
    post("/actors/actions/increment", { "x-sy-query": query }, "x".repeat(2048)),
  );
  assert.equal(res.status, 413);
  assert.deepEqual(await res.json(), {
    code: "body_too_large",
    message: "Body is larger than the limit of 1024 bytes",
    metadata: { limit: 1024 },
  });
  await server.shutdown();
});

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) =>
    ws.addEventListener("message", (ev) => resolve(JSON.parse(ev.data as string)), { once: true })
  );
}

Deno.test("a WebSocket survives hundreds of frames that are not protocol messages", async () => {
  const server = registry.createServer({ driver: memoryDriver(), maxBodySize: 4096 });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => server.fetch(req),
  );
  const url = `ws://127.0.0.1:${http.addr.port}/actors/connect/websocket`;
  const ws = new WebSocket(url, toSocketProtocols({ query: JSON.parse(query), encoding: "json" }));
  ws.binaryType = "arraybuffer";
  const init = await nextMessage(ws);
  assert.equal(init.t, "init");
  runs = 0;
  const frames: Array<string | Uint8Array> = [
    "",
    "{",
    "null",
    "[]",
    "42",
    '"x"',
    "{}",
    '{"t":"nope"}',
    '{"t":"action"}',
    '{"t":"action","id":"x"}',
    '{"t":"action","id":1}',
    '{"t":"action","id":2,"name":5}',
    '{"t":"action","id":3,"name":"increment","args":"x"}',
    '{"t":"sub"}',
    '{"t":"unsub","event":7}',
    new Uint8Array([0xff, 0x00]),
    new Uint8Array(0),
  ];
  for (let i = 0; i < 200; i++) frames.push(crypto.getRandomValues(new Uint8Array(1 + (i % 40))));
  for (let i = 0; i < 100; i++) frames.push(`{"t":"action","id":${i},"name":"nope${i}","args":[]}`);
  let answered = 0;
  const errors = new Promise<void>((resolve) => {
    const onMessage = (ev: MessageEvent) => {
      const msg = JSON.parse(ev.data as string);
      assert.equal(msg.t, "error", ev.data as string);
      assert.match(msg.code, /^[a-z_]+$/);
      if (++answered < frames.length) return;
      ws.removeEventListener("message", onMessage);
      resolve();
    };
    ws.addEventListener("message", onMessage);
  });
  for (const f of frames) ws.send(f);
  await errors;
  assert.equal(runs, 0);
  const reply = nextMessage(ws);
  ws.send(JSON.stringify({ t: "action", id: 999, name: "increment", args: [5] }));
  assert.deepEqual(await reply, { t: "result", id: 999, output: 5 });
  // A frame over the limit closes this socket with 1009; the server keeps serving.
  const closed = new Promise<number>((r) => ws.addEventListener("close", (ev) => r(ev.code)));
  ws.send("x".repeat(8192));
  assert.equal(await closed, 1009);
  const again = await server.client.counter.getOrCreate(["bad"]).increment(1);
  assert.equal(again, 6);
  await server.shutdown();
  await http.shutdown();
});

Deno.test("a WebSocket with a broken query is refused with an error frame and a close code", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => server.fetch(req),
  );
  const url = `ws://127.0.0.1:${http.addr.port}/actors/connect/websocket`;
  for (
    const protocols of [["switchyard"], ["switchyard", "sy.query.e30"], [
      "switchyard",
      "sy.query.!!!",
    ]]
  ) {
    const ws = new WebSocket(url, protocols);
    const msg = await nextMessage(ws);
    const code = await new Promise<number>((r) => ws.addEventListener("close", (ev) => r(ev.code)));
    assert.equal(msg.t, "error");
    assert.equal(msg.code, "invalid_query");
    assert.equal(code, 4000);
  }
  await server.shutdown();
  await http.shutdown();
});
