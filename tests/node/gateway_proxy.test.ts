/**
 * The route proxy under Node 24: the default transport there (nodeTransport,
 * over Node's undici dispatcher), served through @hono/node-server as in the
 * benchmarks. Run: ./node_modules/.bin/node --test tests/node/gateway_proxy.test.ts
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { serve } from "@hono/node-server";
import { RequestProxy } from "../../src/gateway/request_proxy.ts";
import { MemoryRouteStore } from "../../src/gateway/route_store.ts";
import { RuntimeRouter } from "../../src/gateway/runtime_router.ts";
import { nodeTransport, nodeTransportAvailable } from "../../src/gateway/node_transport.ts";
import { fetchTransport } from "../../src/gateway/transport.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function upstream(handler: Handler): Promise<string> {
  return listen(createServer(handler));
}

/** What the echo upstream saw. */
interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  raw: string[];
  body: string;
}

const echo: Handler = (req, res) => {
  let body = "";
  req.setEncoding("latin1");
  req.on("data", (d: string) => body += d);
  req.on("end", () => {
    const out: Echo = {
      method: req.method!,
      url: req.url!,
      headers: req.headers as Record<string, string>,
      raw: req.rawHeaders,
      body,
    };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(out));
  });
};

/** RuntimeRouter with a `/api/*` route to `target`, served by @hono/node-server. */
async function gateway(target: string, options: { proxyTimeout?: number } = {}) {
  const router = new RuntimeRouter(new MemoryRouteStore({ fn: { "/api/*": target } }), options);
  const port = await new Promise<number>((resolve) => {
    const s = serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (req: Request, env: { incoming: { socket: { remoteAddress?: string } } }) =>
        (await router.handleRequest("fn", req, {
          clientAddress: env.incoming.socket.remoteAddress,
        })) ?? new Response("no route", { status: 404 }),
    }, (info) => resolve(info.port));
    servers.push(s as Server);
  });
  return { url: `http://127.0.0.1:${port}`, port };
}

/** Sends raw bytes and reads until the server closes the connection. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let buf = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => buf += d);
    socket.on("end", () => resolve(buf));
    socket.on("error", reject);
  });
}

function closedPort(): Promise<number> {
  const s = createServer();
  return new Promise((resolve) => {
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test("Node picks nodeTransport by default", () => {
  assert.equal(nodeTransportAvailable(), true);
});

test("the default Node transport sends through the undici package's global dispatcher", async () => {
  const undici = await import("undici");
  const previous = undici.getGlobalDispatcher();
  let dispatched = 0;
  const agent = new undici.Agent();
  undici.setGlobalDispatcher(
    agent.compose((dispatch) => (opts, handler) => (dispatched++, dispatch(opts, handler))),
  );
  try {
    const up = await upstream(echo);
    const res = await nodeTransport().send(`${up}/x`, {
      method: "GET",
      headers: [],
      body: null,
      timeout: 5000,
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(dispatched, 1);
  } finally {
    undici.setGlobalDispatcher(previous);
    await agent.close();
  }
});

test("request fields: hop-by-hop and Connection-named removed, X-Forwarded-* set, Expect dropped", async () => {
  const gw = await gateway(await upstream(echo));
  const res = await raw(
    gw.port,
    "POST /api/x?q=1 HTTP/1.1\r\nHost: example.test\r\n" +
      "Connection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n" +
      "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\n" +
      "X-Forwarded-For: 6.6.6.6\r\nExpect: 100-continue\r\nX-Kept: yes\r\n" +
      "Content-Length: 5\r\n\r\nhello",
  );
  // Node's server answers the Expect itself (100 Continue) before the final response.
  assert.match(res, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  const seen = JSON.parse(res.slice(res.lastIndexOf("\r\n\r\n") + 4)) as Echo;
  assert.equal(seen.url, "/x?q=1");
  assert.equal(seen.body, "hello");
  const h = seen.headers;
  for (const name of ["x-secret", "keep-alive", "te", "proxy-connection", "proxy-authorization"]) {
    assert.equal(h[name], undefined, name);
  }
  assert.equal(h["expect"], undefined);
  assert.equal(h["x-kept"], "yes");
  assert.equal(h["x-forwarded-for"], "127.0.0.1");
  assert.equal(h["x-forwarded-host"], "example.test");
  assert.equal(h["x-forwarded-proto"], "http");
  assert.equal(h["content-length"], "5");
});

test("response fields: hop-by-hop removed, repeated Set-Cookie kept, redirects not followed", async () => {
  const up = await upstream((req, res) => {
    if (req.url === "/r") {
      res.writeHead(302, { location: "/elsewhere" });
      res.end();
      return;
    }
    res.setHeader("set-cookie", ["a=1", "b=2"]);
    res.writeHead(201, {
      "content-type": "text/plain",
      connection: "keep-alive, x-hop",
      "x-hop": "1",
      "keep-alive": "timeout=5",
      "x-kept": "yes",
    });
    res.end("made");
  });
  const gw = await gateway(up);
  const r = await fetch(`${gw.url}/api/r`, { redirect: "manual" });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get("location"), "/elsewhere");
  await r.body?.cancel();
  const res = await fetch(`${gw.url}/api/c`);
  assert.equal(res.status, 201);
  assert.equal(await res.text(), "made");
  assert.equal(res.headers.get("x-hop"), null);
  assert.equal(res.headers.get("x-kept"), "yes");
  assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
  // Directly, without a host: the same fields.
  const direct = await new RequestProxy().forward(new Request("http://gw.test/"), {
    target: up,
    remainder: "/c",
  });
  assert.equal(direct.headers.get("keep-alive"), null);
  assert.deepEqual(direct.headers.getSetCookie(), ["a=1", "b=2"]);
  await direct.body?.cancel();
});

test("a gzip body passes through undecoded with its Content-Encoding", async () => {
  const text = "compressible ".repeat(50);
  const gz = gzipSync(text);
  const up = await upstream((_req, res) => {
    res.writeHead(200, {
      "content-type": "text/plain",
      "content-encoding": "gzip",
      "content-length": gz.length,
    });
    res.end(gz);
  });
  const proxy = new RequestProxy({ transport: nodeTransport() });
  const res = await proxy.forward(new Request("http://gw.test/"), { target: up });
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("content-length"), String(gz.length));
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(gz));
  // The fetch transport decodes and drops both fields.
  const viaFetch = new RequestProxy({ transport: fetchTransport() });
  const res2 = await viaFetch.forward(new Request("http://gw.test/"), { target: up });
  assert.equal(res2.headers.get("content-encoding"), null);
  assert.equal(await res2.text(), text);
});

test("an SSE body arrives event by event through the full stack", async () => {
  const gates = [0, 1, 2].map(() => Promise.withResolvers<void>());
  const up = await upstream(async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.flushHeaders();
    for (let i = 0; i < 3; i++) {
      await gates[i]!.promise;
      res.write(`data: event ${i}\n\n`);
    }
    res.end();
  });
  const gw = await gateway(up);
  const res = await fetch(`${gw.url}/api/events`);
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (let i = 0; i < 3; i++) {
    // The next event is only written after this one was read through the proxy.
    gates[i]!.resolve();
    const { value } = await reader.read();
    assert.equal(value, `data: event ${i}\n\n`);
  }
  assert.equal((await reader.read()).done, true);
});

test("large bodies stream both ways intact", async () => {
  const size = 3 * 1024 * 1024;
  const big = new Uint8Array(size).map((_, i) => (i * 31) & 255);
  const up = await upstream((req, res) => {
    if (req.method === "POST") {
      let n = 0;
      let sum = 0;
      req.on("data", (d: Uint8Array) => {
        for (const b of d) sum = (sum + b) % 65521;
        n += d.length;
      });
      req.on("end", () => res.end(`${n} ${sum}`));
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(big);
  });
  const gw = await gateway(up);
  const got = new Uint8Array(await (await fetch(`${gw.url}/api/big`)).arrayBuffer());
  assert.equal(got.length, size);
  assert.deepEqual(got, big);
  let want = 0;
  for (const b of big) want = (want + b) % 65521;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < size; i += 65536) c.enqueue(big.slice(i, i + 65536));
      c.close();
    },
  });
  const init = { method: "POST", body, duplex: "half" } as RequestInit;
  const posted = await fetch(`${gw.url}/api/upload`, init);
  assert.equal(await posted.text(), `${size} ${want}`);
});

test("HEAD and 204 answer without a body", async () => {
  const up = await upstream((req, res) => {
    if (req.url === "/none") res.writeHead(204).end();
    else {res.writeHead(200, { "content-length": "11" }).end(
        req.method === "HEAD" ? "" : "hello world",
      );}
  });
  const proxy = new RequestProxy();
  const head = await proxy.forward(new Request("http://gw.test/", { method: "HEAD" }), {
    target: up,
  });
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  assert.equal(head.headers.get("content-length"), "11");
  const none = await proxy.forward(new Request("http://gw.test/"), {
    target: up,
    remainder: "/none",
  });
  assert.equal(none.status, 204);
  assert.equal(none.body, null);
});

test("a slow upstream answers 504 within the timeout, a closed port 502", async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  const up = await upstream(async (_req, res) => {
    await released;
    res.end("late");
  });
  const gw = await gateway(up, { proxyTimeout: 150 });
  const t0 = performance.now();
  const res = await fetch(`${gw.url}/api/slow`);
  const elapsed = performance.now() - t0;
  assert.equal(res.status, 504);
  const body = await res.json();
  assert.equal(body.code, "upstream_timeout");
  assert.match(body.error, /within 150 ms/);
  assert.ok(elapsed >= 140 && elapsed < 1500, `took ${elapsed} ms`);
  release();
  const target = `http://127.0.0.1:${await closedPort()}`;
  const refused = await new RequestProxy().forward(new Request("http://gw.test/"), { target });
  assert.equal(refused.status, 502);
  assert.deepEqual(await refused.json(), {
    error: `Upstream "${target}/" is unreachable`,
    code: "upstream_unreachable",
    target: `${target}/`,
  });
});

test("an upstream that dies mid-body errors the client's stream instead of hanging", async () => {
  const up = await upstream((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "100000" });
    res.write("partial");
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const res = await new RequestProxy().forward(new Request("http://gw.test/"), { target: up });
  assert.equal(res.status, 200);
  await assert.rejects(res.text());
});

test("retries move a GET to the next target and never repeat a POST, over nodeTransport", async () => {
  let hits = 0;
  const bad = await upstream((_req, res) => {
    hits++;
    res.writeHead(503).end("down");
  });
  const good = await upstream(echo);
  const router = new RuntimeRouter(
    new MemoryRouteStore({
      fn: { "/*": { targets: [bad, good], retries: { attempts: 1, backoff: 0 } } },
    }),
  );
  const get = await router.handleRequest("fn", new Request("http://gw.test/a"));
  assert.equal(get!.status, 200);
  assert.equal((await get!.json() as Echo).url, "/a");
  hits = 0;
  // Round-robin: the next pick starts at the bad target again.
  const post = await router.handleRequest(
    "fn",
    new Request("http://gw.test/b", { method: "POST", body: "x" }),
  );
  assert.equal(post!.status, 503);
  assert.equal(hits, 1);
  await post!.body?.cancel();
});
