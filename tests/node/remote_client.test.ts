import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { createClient } from "../../src/client/mod.ts";
import type { registry } from "./_fixture.ts";
import { nextValues, type Served, start } from "./_fixture.ts";

let served: Served;
before(async () => {
  served = await start();
});
after(() => served.close());

function client(options: Parameters<typeof createClient>[1] = {}) {
  return createClient<typeof registry>(served.http.url, { reconnect: false, ...options });
}

test("adapter listens on 127.0.0.1 with a free port", () => {
  assert.ok(served.http.port > 0);
  assert.equal(served.http.url, `http://127.0.0.1:${served.http.port}`);
});

test("remote client runs actions over HTTP (JSON and CBOR)", async () => {
  for (const encoding of ["json", "cbor"] as const) {
    const c = client({ encoding });
    const handle = c.counter.getOrCreate(["http", encoding]);
    assert.equal(await handle.increment(4), 4);
    assert.equal(await handle.count(), 4);
    await c.dispose();
  }
});

test("remote client gets user errors with code and metadata", async () => {
  const c = client();
  await assert.rejects(
    c.counter.getOrCreate(["http-error"]).fail(),
    (err: { code?: string; metadata?: unknown }) => {
      assert.equal(err.code, "refused");
      assert.deepEqual(err.metadata, { why: "test" });
      return true;
    },
  );
  await assert.rejects(c.counter.get(["missing"]).count(), { code: "actor_not_found" });
  await c.dispose();
});

for (const encoding of ["json", "cbor"] as const) {
  test(`WebSocket connection (${encoding}) receives events and runs actions`, async () => {
    const c = client({ encoding });
    const conn = c.counter.getOrCreate(["ws", encoding]).connect();
    const events = nextValues<number>((l) => conn.on("changed", l), 3);
    await conn.ready();
    assert.equal(await conn.increment(1), 1);
    assert.deepEqual(await Promise.all([conn.increment(1), conn.increment(1)]), [2, 3]);
    assert.deepEqual(await events, [1, 2, 3]);
    await c.dispose();
  });
}

test("/metrics counts accepted WebSocket upgrades as 101", async () => {
  const c = client();
  const conn = c.counter.getOrCreate(["metrics"]).connect();
  await conn.ready();
  await c.dispose();
  const text = await (await fetch(`${served.http.url}/metrics`)).text();
  assert.match(text, /switchyard_http_responses_total\{status="101"\} [1-9]/);
  assert.doesNotMatch(text, /status="200"\} 0/);
});

test("SSE connection receives events and runs actions", async () => {
  const c = client({ transport: "sse", encoding: "cbor" });
  const conn = c.counter.getOrCreate(["sse"]).connect();
  const events = nextValues<number>((l) => conn.on("changed", l), 2);
  await conn.ready();
  assert.equal(await conn.increment(5), 5);
  assert.equal(await conn.increment(5), 10);
  assert.deepEqual(await events, [5, 10]);
  await c.dispose();
});

test("events from an HTTP action reach a WebSocket connection", async () => {
  const c = client();
  const handle = c.counter.getOrCreate(["mixed"]);
  const conn = handle.connect();
  const events = nextValues<number>((l) => conn.on("changed", l), 1);
  await conn.ready();
  await handle.increment(7);
  assert.deepEqual(await events, [7]);
  await c.dispose();
});

test("raw HTTP reaches onFetch with path, query and body", async () => {
  const c = client();
  const res = await c.counter.getOrCreate(["raw-http"]).fetch("/hello?x=1", {
    method: "POST",
    body: "ping",
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { path: "/hello", search: "?x=1", body: "ping", count: 0 });
  await c.dispose();
});

test("raw WebSocket reaches onWebSocket, text and binary frames cross", async () => {
  const c = client();
  const socket = await c.counter.getOrCreate(["raw-ws"]).websocket("/room", ["chat"]);
  assert.equal(socket.protocol, "chat");
  // SocketLike has no removeEventListener: stop forwarding with a flag.
  const frames = nextValues<unknown>((l) => {
    let on = true;
    socket.addEventListener("message", (ev) => on && l(ev.data));
    return () => (on = false);
  }, 3);
  socket.send("hi");
  socket.send(new Uint8Array([1, 2, 3]));
  const [hello, echo, bytes] = await frames;
  assert.equal(hello, "hello /room");
  assert.equal(echo, "echo:hi");
  assert.deepEqual([...new Uint8Array(bytes as ArrayBuffer)], [1, 2, 3]);
  await c.dispose();
});

test("a connection WebSocket answers with the switchyard sub-protocol", async () => {
  const c = client();
  const conn = c.counter.getOrCreate(["protocol"]).connect();
  await conn.ready();
  await c.dispose();
  // Through the global WebSocket: the server must only echo an offered protocol.
  const url = served.http.url.replace("http", "ws") + "/actors/connect/websocket";
  const query = Buffer.from(JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["p"] } }))
    .toString("base64url");
  const ws = new WebSocket(url, ["switchyard", `sy.query.${query}`]);
  const first = await new Promise<string>((resolve, reject) => {
    ws.onmessage = (ev) => resolve(ev.data as string);
    ws.onerror = () => reject(new Error("WebSocket failed"));
  });
  assert.equal(ws.protocol, "switchyard");
  assert.equal(JSON.parse(first).t, "init");
  const closed = new Promise((r) => (ws.onclose = r));
  ws.close(1000);
  await closed;
});

test("a refused upgrade gets the router's HTTP answer on the raw socket", async () => {
  const { status, body } = await new Promise<{ status: number; body: string }>(
    (resolve, reject) => {
      const req = request(`${served.http.url}/not/a/route`, {
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
      });
      req.on("upgrade", () => reject(new Error("Upgrade was accepted")));
      req.on("response", (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    },
  );
  assert.equal(status, 404);
  assert.equal(JSON.parse(body).code, "not_found");
});

test("close() closes open WebSockets with 1001", async () => {
  const other = await start();
  const c = createClient<typeof registry>(other.http.url, { reconnect: false });
  const socket = await c.counter.getOrCreate(["closing"]).websocket("/");
  const closed = new Promise<{ code: number }>((r) => socket.addEventListener("close", r));
  await other.close();
  assert.equal((await closed).code, 1001);
  await c.dispose();
});
