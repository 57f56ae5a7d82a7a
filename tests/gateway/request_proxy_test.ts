import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { type ForwardOptions, RequestProxy } from "../../src/gateway/request_proxy.ts";
import { fetchTransport } from "../../src/gateway/transport.ts";
import { closedPort, type Echo, echoHandler, rawRequest, serve } from "./_helpers.ts";

/** Starts an upstream and a gateway that forwards everything to it. */
async function withGateway(
  upstreamHandler: Deno.ServeHandler<Deno.NetAddr>,
  proxy: RequestProxy,
  forward: Omit<ForwardOptions, "target"> & { target?: string },
  fn: (gateway: { url: string; port: number }, upstream: { url: string }) => Promise<void>,
): Promise<void> {
  const upstream = serve(upstreamHandler);
  const gateway = serve((req, info) =>
    proxy.forward(req, {
      target: upstream.url,
      clientAddress: info.remoteAddr.hostname,
      ...forward,
    })
  );
  try {
    await fn(gateway, upstream);
  } finally {
    proxy.close();
    await gateway.close();
    await upstream.close();
  }
}

Deno.test("forward() removes hop-by-hop fields and every field named in Connection", async () => {
  await withGateway(echoHandler, new RequestProxy(), {}, async (gw) => {
    const res = await rawRequest(
      gw.port,
      "POST /x HTTP/1.1\r\nHost: example.test\r\n" +
        "Connection: keep-alive, X-Secret, x-other\r\nX-Secret: 1\r\nX-Other: 2\r\n" +
        "Keep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-Checksum\r\n" +
        "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\n" +
        "X-Kept: yes\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.body) as Echo;
    const h = echo.headers;
    for (
      const name of [
        "connection",
        "x-secret",
        "x-other",
        "keep-alive",
        "te",
        "trailer",
        "proxy-connection",
        "proxy-authorization",
      ]
    ) {
      assert.equal(h[name], undefined, name);
    }
    assert.equal(h["x-kept"], "yes");
    assert.equal(echo.body, "hello");
    assert.equal(h["x-forwarded-host"], "example.test");
    assert.equal(h["x-forwarded-proto"], "http");
    assert.equal(h["x-forwarded-for"], "127.0.0.1");
  });
});

Deno.test("forward() survives a chunked request with a Trailer and TE: trailers", async () => {
  await withGateway(echoHandler, new RequestProxy(), {}, async (gw) => {
    const res = await rawRequest(
      gw.port,
      "POST /t HTTP/1.1\r\nHost: h\r\nTE: trailers\r\nTrailer: X-Sum\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n",
    );
    assert.equal(res.status, 200);
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.body, "abc");
    assert.equal(echo.headers["x-sum"], undefined);
  });
});

Deno.test("forward() replaces a spoofed X-Forwarded-For unless hops are trusted", async () => {
  const spoof = "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6, 10.0.0.1\r\n" +
    "X-Forwarded-Host: evil.test\r\nX-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\n" +
    "Connection: close\r\n\r\n";
  await withGateway(echoHandler, new RequestProxy(), {}, async (gw) => {
    const h = (JSON.parse((await rawRequest(gw.port, spoof)).body) as Echo).headers;
    assert.equal(h["x-forwarded-for"], "127.0.0.1");
    assert.equal(h["x-forwarded-host"], "h");
    assert.equal(h["x-forwarded-proto"], "http");
    assert.equal(h["forwarded"], undefined);
  });
  const trusting = new RequestProxy({ trustedHops: 1, forwarded: true });
  await withGateway(echoHandler, trusting, {}, async (gw) => {
    const h = (JSON.parse((await rawRequest(gw.port, spoof)).body) as Echo).headers;
    // One trusted hop: its entry (10.0.0.1) is kept, the client-written one is dropped.
    assert.equal(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
    assert.equal(h["x-forwarded-host"], "evil.test");
    assert.equal(h["forwarded"], "for=6.6.6.6, for=127.0.0.1;host=h;proto=http");
  });
  await withGateway(echoHandler, new RequestProxy({ forwarded: true }), {}, async (gw) => {
    const res = await fetch(`${gw.url}/`, { headers: { forwarded: "for=1.2.3.4" } });
    const h = ((await res.json()) as Echo).headers;
    assert.equal(h["forwarded"], `for=127.0.0.1;host="127.0.0.1:${gw.port}";proto=http`);
  });
});

Deno.test("forward() appends the remainder and keeps the query, with a stated slash rule", async () => {
  await withGateway(echoHandler, new RequestProxy(), {}, async (_gw, up) => {
    const proxy = new RequestProxy();
    const cases: [string | undefined, string, string][] = [
      [undefined, "/v1?a=1", `${up.url}/v1?k=v&a=1`],
      ["", "", `${up.url}/v1?k=v`],
      ["/", "", `${up.url}/v1/?k=v`],
      ["/a/b%20c/", "?x=%2F", `${up.url}/v1/a/b%20c/?k=v&x=%2F`],
    ];
    for (const [remainder, search, want] of cases) {
      const req = new Request(`http://gw.test/in${search}`);
      const res = await proxy.forward(req, { target: `${up.url}/v1/?k=v`, remainder });
      assert.equal(((await res.json()) as Echo).url, want);
    }
  });
});

Deno.test("forward() refuses remainders that escape the target with 400", async () => {
  let reached = 0;
  await withGateway(() => (reached++, new Response("no")), new RequestProxy(), {}, async () => {
    const proxy = new RequestProxy();
    const escapes = [
      "/..",
      "/a/../b",
      "/%2e%2e/etc",
      "/.%2E/x",
      "/%2E",
      "/a%2fb",
      "/a%2F..%2Fb",
      "/a%5cb",
      "/a\\b",
      "/%252e%252e/x",
      "/%252F",
    ];
    for (const remainder of escapes) {
      const res = await proxy.forward(new Request("http://gw.test/"), {
        target: "http://127.0.0.1:9/base",
        remainder,
      });
      assert.equal(res.status, 400, remainder);
      const body = await res.json();
      assert.equal(body.code, "path_escape");
      assert.equal(body.target, "http://127.0.0.1:9/base");
    }
  });
  assert.equal(reached, 0);
});

Deno.test("forward() answers 504 within the timeout when the upstream is slow", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  const slow = async () => {
    await release;
    return new Response("late");
  };
  await withGateway(slow, new RequestProxy({ timeout: 150 }), {}, async (gw) => {
    const t0 = performance.now();
    const res = await fetch(`${gw.url}/slow`);
    const elapsed = performance.now() - t0;
    assert.equal(res.status, 504);
    const body = await res.json();
    assert.equal(body.code, "upstream_timeout");
    assert.match(body.error, /within 150 ms/);
    assert.ok(elapsed >= 140 && elapsed < 1500, `took ${elapsed} ms`);
    resolve();
  });
});

Deno.test("forward() answers 502 for a refused connection and 500 for other failures", async () => {
  const port = closedPort();
  const target = `http://127.0.0.1:${port}`;
  const res = await new RequestProxy().forward(new Request("http://gw.test/orders/7?x=1"), {
    target,
    remainder: "/orders/7",
  });
  assert.equal(res.status, 502);
  assert.deepEqual(await res.json(), {
    error: `Upstream "${target}/orders/7" is unreachable`,
    code: "upstream_unreachable",
    target: `${target}/orders/7`,
  });
  const broken = new RequestProxy({ fetch: () => Promise.reject(new Error("boom")) });
  const res2 = await broken.forward(new Request("http://gw.test/"), { target });
  assert.equal(res2.status, 500);
  assert.equal((await res2.json()).code, "upstream_error");
});

Deno.test("forward() streams an SSE body event by event", async () => {
  const enc = new TextEncoder();
  const gates = [0, 1, 2].map(() => Promise.withResolvers<void>());
  const sse = () =>
    new Response(
      new ReadableStream({
        async start(c) {
          for (let i = 0; i < 3; i++) {
            await gates[i]!.promise;
            c.enqueue(enc.encode(`data: event ${i}\n\n`));
          }
          c.close();
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  await withGateway(sse, new RequestProxy(), {}, async (gw) => {
    const res = await fetch(`${gw.url}/events`);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (let i = 0; i < 3; i++) {
      // The next event is only produced after this one was read through the proxy.
      gates[i]!.resolve();
      const { value } = await reader.read();
      assert.equal(value, `data: event ${i}\n\n`);
    }
    assert.equal((await reader.read()).done, true);
  });
});

Deno.test("forward() drops Content-Encoding and Content-Length of a body fetch decoded", async () => {
  const text = "compressible ".repeat(50);
  const gz = gzipSync(new TextEncoder().encode(text));
  const up = () =>
    new Response(gz, { headers: { "content-encoding": "gzip", "content-type": "text/plain" } });
  const proxy = new RequestProxy({ transport: fetchTransport() });
  await withGateway(up, proxy, {}, async (gw) => {
    const res = await rawRequest(
      gw.port,
      "GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, zstd\r\nConnection: close\r\n\r\n",
    );
    assert.equal(res.headers.get("content-encoding"), null);
    assert.equal(res.body, text);
  });
});

Deno.test("forward() passes an encoded body through undecoded on Deno's default transport", async () => {
  const text = "compressible ".repeat(50);
  const gz = gzipSync(new TextEncoder().encode(text));
  const up = () =>
    new Response(gz, { headers: { "content-encoding": "gzip", "content-type": "text/plain" } });
  await withGateway(up, new RequestProxy(), {}, async (gw) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
    ));
    const raw = new Uint8Array(await new Response(conn.readable).arrayBuffer());
    const headEnd = raw.findIndex((_, i) =>
      raw[i] === 13 && raw[i + 2] === 13 && raw[i + 3] === 10
    );
    const head = new TextDecoder().decode(raw.subarray(0, headEnd)).toLowerCase();
    assert.match(head, /\r\ncontent-encoding: gzip\r\n/);
    assert.match(head, new RegExp(`\r\ncontent-length: ${gz.length}(\r\n|$)`));
    assert.deepEqual(raw.subarray(headEnd + 4), new Uint8Array(gz));
    // A client that decodes gets the upstream's text.
    assert.equal(await (await fetch(gw.url)).text(), text);
  });
});

Deno.test("forward() passes redirects and status codes through untouched", async () => {
  const up = (req: Request) =>
    new URL(req.url).search === "?r"
      ? new Response(null, { status: 302, headers: { location: "/elsewhere" } })
      : new Response("gone", { status: 410, headers: { "set-cookie": "a=1" } });
  await withGateway(up, new RequestProxy(), {}, async (gw) => {
    const r = await fetch(`${gw.url}/?r`, { redirect: "manual" });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get("location"), "/elsewhere");
    await r.body?.cancel();
    const g = await fetch(`${gw.url}/g`);
    assert.equal(g.status, 410);
    assert.equal(g.headers.get("set-cookie"), "a=1");
    assert.equal(await g.text(), "gone");
  });
});

Deno.test("forward() routes actor:// targets to the actor fetcher", async () => {
  const calls: { name: string; key: string[]; url: string; body: string }[] = [];
  const proxy = new RequestProxy({
    actors: {
      async fetch(name, key, request) {
        calls.push({ name, key, url: request.url, body: await request.text() });
        if (name === "missing") {
          const { publicError } = await import("../../src/common/errors.ts");
          throw publicError("actor_not_found", 404, `Actor "${name}" was not found`);
        }
        return new Response(`hello from ${name}`);
      },
    },
  });
  const req = new Request("http://gw.test/c/inc?by=2", { method: "POST", body: "x" });
  const res = await proxy.forward(req, {
    target: "actor://counter/a,b%2Cc/api",
    remainder: "/inc",
  });
  assert.equal(await res.text(), "hello from counter");
  assert.deepEqual(calls[0], {
    name: "counter",
    key: ["a", "b,c"],
    url: "http://actor/api/inc?by=2",
    body: "x",
  });
  const missing = await proxy.forward(new Request("http://gw.test/"), {
    target: "actor://missing//",
  });
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, "actor_not_found");
  assert.equal(calls[1]!.url, "http://actor/");
  const none = await new RequestProxy().forward(new Request("http://gw.test/"), {
    target: "actor://x//",
  });
  assert.equal(none.status, 501);
});

Deno.test("forward() bridges a WebSocket both ways and keeps close codes", async () => {
  const upstreamClosed = Promise.withResolvers<{ code: number; reason: string }>();
  const upstream = serve((req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "chat" });
    socket.onmessage = (ev) => {
      if (ev.data === "bye") socket.close(4001, "upstream done");
      else socket.send(typeof ev.data === "string" ? `echo ${ev.data}` : ev.data);
    };
    socket.onclose = (ev) => upstreamClosed.resolve({ code: ev.code, reason: ev.reason });
    return response;
  });
  const proxy = new RequestProxy({ upgradeWebSocket: (req, o) => Deno.upgradeWebSocket(req, o) });
  const gateway = serve((req) => proxy.forward(req, { target: upstream.url, remainder: "/ws" }));
  try {
    const ws = new WebSocket(gateway.url.replace("http", "ws"), ["chat", "other"]);
    ws.binaryType = "arraybuffer";
    const messages: unknown[] = [];
    const closed = new Promise<CloseEvent>((r) => ws.onclose = r);
    let next = Promise.withResolvers<void>();
    ws.onmessage = (ev) => {
      messages.push(ev.data);
      next.resolve();
    };
    await new Promise((r) => ws.onopen = r);
    assert.equal(ws.protocol, "chat");
    ws.send("hi");
    await next.promise;
    next = Promise.withResolvers();
    ws.send(new Uint8Array([1, 2, 3]));
    await next.promise;
    assert.equal(messages[0], "echo hi");
    assert.deepEqual(new Uint8Array(messages[1] as ArrayBuffer), new Uint8Array([1, 2, 3]));
    ws.send("bye");
    const ev = await closed;
    assert.equal(ev.code, 4001);
    assert.equal(ev.reason, "upstream done");
    await upstreamClosed.promise;
  } finally {
    await gateway.close();
    await upstream.close();
  }
});

Deno.test("forward() passes a client close code to the upstream", async () => {
  const upstreamClosed = Promise.withResolvers<{ code: number; reason: string }>();
  const upstream = serve((req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onclose = (ev) => upstreamClosed.resolve({ code: ev.code, reason: ev.reason });
    return response;
  });
  const proxy = new RequestProxy({ upgradeWebSocket: (req, o) => Deno.upgradeWebSocket(req, o) });
  const gateway = serve((req) => proxy.forward(req, { target: upstream.url }));
  try {
    const ws = new WebSocket(gateway.url.replace("http", "ws"));
    const closed = new Promise((r) => ws.onclose = r);
    await new Promise((r) => ws.onopen = r);
    ws.close(4002, "client done");
    assert.deepEqual(await upstreamClosed.promise, { code: 4002, reason: "client done" });
    await closed;
  } finally {
    await gateway.close();
    await upstream.close();
  }
});

Deno.test("forward() answers upgrade requests with 501 or 502 when it cannot bridge", async () => {
  const upgradeReq = () =>
    new Request("http://gw.test/", {
      headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "x" },
    });
  const res = await new RequestProxy().forward(upgradeReq(), { target: "http://127.0.0.1:9" });
  assert.equal(res.status, 501);
  assert.equal((await res.json()).code, "websocket_unsupported");
  const proxy = new RequestProxy({ upgradeWebSocket: (req, o) => Deno.upgradeWebSocket(req, o) });
  const res2 = await proxy.forward(upgradeReq(), { target: `http://127.0.0.1:${closedPort()}` });
  assert.equal(res2.status, 502);
  assert.equal((await res2.json()).code, "upstream_unreachable");
});
