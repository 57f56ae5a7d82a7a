import assert from "node:assert/strict";
import { socketPair } from "../../src/common/socket.ts";
import { bridgeSockets, sendableCloseCode } from "../../src/gateway/websocket_bridge.ts";
import { RequestProxy } from "../../src/gateway/request_proxy.ts";
import { serve } from "./_helpers.ts";

Deno.test("sendableCloseCode() maps reserved codes to ones that can be sent", () => {
  assert.equal(sendableCloseCode(1005), 1000);
  assert.equal(sendableCloseCode(1006), 1011);
  assert.equal(sendableCloseCode(1015), 1011);
  assert.equal(sendableCloseCode(4000), 4000);
  assert.equal(sendableCloseCode(1001), 1001);
});

Deno.test("bridgeSockets() relays frames both ways and the close code", async () => {
  const [caller, callerEnd] = socketPair();
  const [backendEnd, backend] = socketPair();
  bridgeSockets(callerEnd, backendEnd);
  const toBackend = new Promise((r) => backend.addEventListener("message", (ev) => r(ev.data)));
  caller.send(new Uint8Array([7, 8]));
  assert.deepEqual(new Uint8Array(await toBackend as ArrayBuffer), new Uint8Array([7, 8]));
  const toCaller = new Promise((r) => caller.addEventListener("message", (ev) => r(ev.data)));
  backend.send("hello");
  assert.equal(await toCaller, "hello");
  const closed = new Promise((r) =>
    caller.addEventListener("close", (ev) => r([ev.code, ev.reason]))
  );
  backend.close(4100, "bye");
  assert.deepEqual(await closed, [4100, "bye"]);
});

Deno.test("a proxied WebSocket offers the upstream every sub-protocol the client offered", async () => {
  const offered = Promise.withResolvers<string | null>();
  const upstream = serve((req) => {
    offered.resolve(req.headers.get("sec-websocket-protocol"));
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "v2.chat" });
    socket.onopen = () => socket.close(1000, "done");
    return response;
  });
  const proxy = new RequestProxy({ upgradeWebSocket: (req, o) => Deno.upgradeWebSocket(req, o) });
  const gateway = serve((req) => proxy.forward(req, { target: upstream.url }));
  try {
    const ws = new WebSocket(gateway.url.replace("http", "ws"), ["v1.chat", "v2.chat", "x"]);
    const closed = new Promise((r) => ws.onclose = r);
    await new Promise((r) => ws.onopen = r);
    assert.equal(await offered.promise, "v1.chat, v2.chat, x");
    assert.equal(ws.protocol, "v2.chat");
    await closed;
  } finally {
    await gateway.close();
    await upstream.close();
  }
});
