import assert from "node:assert/strict";
import { actor, setup } from "../../mod.ts";
import { memoryDriver } from "../../drivers/memory.ts";

const echo = actor({
  onAuth: () => {},
  actions: { ping: () => "pong" },
  onWebSocket: (_c, socket) => socket.send("hello"),
});
const registry = setup({ use: { echo } });

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const FULL = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\n`;

/** Handshakes a user could send, and the answer each must get. */
const CASES: Array<{ what: string; headers: string; status: number; code: string }> = [
  {
    what: "no Connection: Upgrade",
    headers: `Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`,
    status: 426,
    code: "upgrade_required",
  },
  {
    what: "no Sec-WebSocket-Key",
    headers: "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n",
    status: 400,
    code: "malformed_websocket_key",
  },
  {
    what: "version 8",
    headers: `${FULL}Sec-WebSocket-Version: 8\r\n`,
    status: 426,
    code: "unsupported_websocket_version",
  },
];
/** Valid handshakes whose sub-protocols the connection endpoint cannot speak. */
const PROTOCOL_CASES = [
  { what: "no sub-protocol", headers: `${FULL}Sec-WebSocket-Version: 13\r\n` },
  {
    what: "only chat",
    headers: `${FULL}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n`,
  },
];

/** Sends one raw HTTP/1.1 request and reads the whole answer (the server closes or we stop at the body). */
async function rawRequest(port: number, path: string, headers: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`),
    );
    let text = "";
    const buf = new Uint8Array(8192);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const length = Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? 0);
      if (text.length >= end + 4 + length) break;
    }
    const status = Number(text.split(" ")[1]);
    const body = text.slice(text.indexOf("\r\n\r\n") + 4);
    return { status, body: body ? JSON.parse(body) : undefined };
  } finally {
    conn.close();
  }
}

async function withServer(fn: (port: number, errors: unknown[][]) => Promise<void>) {
  const server = registry.createServer({
    driver: memoryDriver(),
    messaging: { auth: () => ({ identity: "guest", canAddress: () => false }) },
  });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
  const errors: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    await fn(http.addr.port, errors);
  } finally {
    console.error = original;
    await http.shutdown();
    await server.shutdown();
  }
}

const PATHS = ["/actors/connect/websocket", "/actors/raw/websocket/x", "/messages"];

Deno.test("a bad WebSocket handshake gets a coded 400 or 426 on every upgrade path, and nothing is logged", async () => {
  await withServer(async (port, errors) => {
    for (const path of PATHS) {
      for (const c of CASES) {
        const res = await rawRequest(port, path, c.headers);
        assert.equal(res.status, c.status, `${path}, ${c.what}`);
        assert.equal(res.body?.code, c.code, `${path}, ${c.what}`);
      }
    }
    assert.deepEqual(errors, []);
  });
});

Deno.test("a connection WebSocket that offers no switchyard sub-protocol gets 400 unsupported_subprotocol, and nothing is logged", async () => {
  await withServer(async (port, errors) => {
    for (const c of PROTOCOL_CASES) {
      const res = await rawRequest(port, "/actors/connect/websocket", c.headers);
      assert.equal(res.status, 400, c.what);
      assert.equal(res.body?.code, "unsupported_subprotocol", c.what);
    }
    const raw = await rawRequest(port, "/actors/raw/websocket/x", PROTOCOL_CASES[0]!.headers);
    assert.equal(raw.status, 400);
    assert.equal(raw.body?.code, "unsupported_subprotocol");
    assert.deepEqual(errors, []);
  });
});

Deno.test("the server keeps serving after bad handshakes", async () => {
  await withServer(async (port) => {
    for (const c of CASES) await rawRequest(port, "/actors/connect/websocket", c.headers);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.deepEqual(await res.json(), { status: "ok" });
  });
});
