import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { decodeCbor, encodeCbor } from "../src/common/encoding.ts";
import { toSocketProtocols } from "../src/protocol/headers.ts";

const sum = actor({
  onAuth: () => {},
  actions: { sum: (_c, ...xs: number[]) => xs.reduce((a, b) => a + b, 0) },
});
const registry = setup({ use: { sum } });
const query = { getOrCreateForKey: { name: "sum", key: ["a"] } };
// ~260 KB: under the default body limit, far past the argument limit.
const tooMany = Array(130_000).fill(0);

function action(body: BodyInit, encoding: "json" | "cbor"): Request {
  return new Request("http://local/actors/actions/sum", {
    method: "POST",
    headers: { "x-sy-query": JSON.stringify(query), "x-sy-encoding": encoding },
    body,
  });
}

Deno.test("an HTTP action with 130,000 arguments answers 400 too_many_arguments, not a crash", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  const json = await server.fetch(action(JSON.stringify({ args: tooMany }), "json"));
  assert.equal(json.status, 400);
  assert.deepEqual(await json.json(), {
    code: "too_many_arguments",
    message: "Action takes at most 256 arguments, got 130000",
    metadata: { limit: 256 },
  });
  const cbor = await server.fetch(action(encodeCbor({ args: tooMany }), "cbor"));
  assert.equal(cbor.status, 400);
  const body = decodeCbor(new Uint8Array(await cbor.arrayBuffer())) as { code: string };
  assert.equal(body.code, "too_many_arguments");
  // 256 arguments still work, and the server keeps serving.
  const ok = await server.fetch(action(JSON.stringify({ args: Array(256).fill(1) }), "json"));
  assert.deepEqual(await ok.json(), { output: 256 });
  await server.shutdown();
});

Deno.test("an inline call with 257 arguments rejects with too_many_arguments", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  const handle = server.client.sum.getOrCreate(["a"]);
  await assert.rejects(handle.sum(...Array(257).fill(1)), { code: "too_many_arguments" });
  assert.equal(await handle.sum(...Array(256).fill(1)), 256);
  await server.shutdown();
});

Deno.test("a WebSocket action with 130,000 arguments gets a too_many_arguments error frame", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => server.fetch(req),
  );
  const url = `ws://127.0.0.1:${http.addr.port}/actors/connect/websocket`;
  const ws = new WebSocket(url, toSocketProtocols({ query, encoding: "json" }));
  const messages: Record<string, unknown>[] = [];
  let wake: () => void = () => {};
  ws.addEventListener("message", (ev) => {
    const v = JSON.parse(ev.data as string);
    messages.push(...(Array.isArray(v) ? v : [v]));
    wake();
  });
  const next = async () => {
    while (messages.length === 0) await new Promise<void>((r) => wake = r);
    return messages.shift()!;
  };
  assert.equal((await next()).t, "init");
  ws.send(JSON.stringify({ t: "action", id: 1, name: "sum", args: tooMany }));
  assert.deepEqual(await next(), {
    t: "error",
    id: 1,
    code: "too_many_arguments",
    message: "Action takes at most 256 arguments, got 130000",
    status: 400,
    metadata: { id: 1, limit: 256 },
  });
  ws.send(JSON.stringify({ t: "action", id: 2, name: "sum", args: [1, 2] }));
  assert.deepEqual(await next(), { t: "result", id: 2, output: 3 });
  const closed = new Promise((r) => ws.addEventListener("close", r));
  ws.close();
  await closed;
  await server.shutdown();
  await http.shutdown();
});
