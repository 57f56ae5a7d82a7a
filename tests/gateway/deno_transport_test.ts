import assert from "node:assert/strict";
import { denoTransport } from "../../src/gateway/deno_transport.ts";
import { RequestProxy } from "../../src/gateway/request_proxy.ts";
import type { ProxyTransport, TransportRequest } from "../../src/gateway/transport.ts";
import { closedPort, serve } from "./_helpers.ts";
import { everyRequest, ok, rawUpstream, type ScriptedConn } from "./_raw_upstream.ts";

function get(headers: [string, string][] = []): TransportRequest {
  return { method: "GET", headers, body: null, timeout: 2000 };
}

/** Runs `fn` with a fresh transport and closes its pools after. */
async function withTransport(fn: (t: ProxyTransport) => Promise<void>): Promise<void> {
  const t = denoTransport();
  try {
    await fn(t);
  } finally {
    t.close!();
  }
}

Deno.test("denoTransport keeps one connection alive across sequential requests", async () => {
  const ports = new Set<number>();
  const up = serve((_req, info) => (ports.add(info.remoteAddr.port), new Response("hi")));
  await withTransport(async (t) => {
    for (let i = 0; i < 20; i++) {
      const res = await t.send(`${up.url}/n?i=${i}`, get());
      assert.equal(await res.text(), "hi");
    }
  });
  await up.close();
  assert.equal(ports.size, 1);
});

Deno.test("denoTransport with idleTimeout 0 opens a connection per request", async () => {
  const ports = new Set<number>();
  const up = serve((_req, info) => (ports.add(info.remoteAddr.port), new Response("hi")));
  const t = denoTransport({ idleTimeout: 0 });
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal(await (await t.send(`${up.url}/`, get())).text(), "hi");
    }
  } finally {
    t.close!();
    await up.close();
  }
  assert.equal(ports.size, 3);
  assert.throws(() => denoTransport({ idleTimeout: -1 }), RangeError);
});

Deno.test("denoTransport decodes chunked answers arriving a few bytes at a time", async () => {
  const up = rawUpstream(everyRequest(async (_req, conn) => {
    const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-t\r\n\r\n" +
      "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-t: 1\r\n\r\n";
    for (let i = 0; i < wire.length; i += 3) await conn.write(wire.slice(i, i + 3));
    return "";
  }));
  await withTransport(async (t) => {
    for (let i = 0; i < 3; i++) {
      const res = await t.send(`${up.url}/`, get());
      assert.equal(res.headers.get("transfer-encoding"), null);
      assert.equal(res.headers.get("trailer"), null);
      assert.equal(await res.text(), "hello, world");
    }
  });
  await up.close();
  assert.equal(up.connections, 1);
});

Deno.test("denoTransport streams a large body and reads a close-delimited one", async () => {
  const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
  const up = serve(() => new Response(big));
  const closing = rawUpstream(async (conn) => {
    await conn.request();
    await conn.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end");
  });
  await withTransport(async (t) => {
    const res = await t.send(`${up.url}/`, get());
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), big);
    for (let i = 0; i < 2; i++) {
      assert.equal(await (await t.send(`${closing.url}/`, get())).text(), "until the end");
    }
  });
  await up.close();
  await closing.close();
  assert.equal(closing.connections, 2, "a close-delimited body ends its connection");
});

Deno.test("denoTransport answers HEAD, 204 and 304 without a body and skips 1xx", async () => {
  const up = rawUpstream(everyRequest((req) => {
    if (req.head.startsWith("HEAD")) return "HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n";
    if (req.head.includes("/204")) return "HTTP/1.1 204 No Content\r\n\r\n";
    if (req.head.includes("/304")) return 'HTTP/1.1 304 Not Modified\r\netag: "a"\r\n\r\n';
    return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n" +
      ok("final");
  }));
  await withTransport(async (t) => {
    const head = await t.send(`${up.url}/`, { ...get(), method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "99");
    assert.equal(head.body, null);
    assert.equal((await t.send(`${up.url}/204`, get())).status, 204);
    const notModified = await t.send(`${up.url}/304`, get());
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get("etag"), '"a"');
    const final = await t.send(`${up.url}/`, get());
    assert.equal(final.status, 200);
    assert.equal(final.headers.get("link"), null);
    assert.equal(await final.text(), "final");
  });
  await up.close();
  assert.equal(up.connections, 1);
});

Deno.test("denoTransport removes hop-by-hop answer fields and keeps Latin-1 values", async () => {
  const up = rawUpstream(
    everyRequest(() =>
      ok(
        "x",
        "Connection: keep-alive, x-conn\r\nKeep-Alive: timeout=5\r\nx-conn: 1\r\n" +
          "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nx-name: caf\xe9\r\n",
      )
    ),
  );
  await withTransport(async (t) => {
    const res = await t.send(`${up.url}/`, get());
    for (const f of ["connection", "keep-alive", "x-conn"]) assert.equal(res.headers.get(f), null);
    assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.equal(res.headers.get("x-name"), "caf\xe9");
    await res.body?.cancel();
  });
  await up.close();
});

Deno.test("denoTransport sends bodies by their length, or chunked when none is given", async () => {
  const seen: { head: string; body: string }[] = [];
  const up = rawUpstream(everyRequest((req) => (seen.push(req), ok("ok"))));
  const stream = (...parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(new TextEncoder().encode(p));
        c.close();
      },
    });
  await withTransport(async (t) => {
    const sized = await t.send(`${up.url}/a`, {
      method: "POST",
      headers: [["content-length", "11"], ["expect", "100-continue"]],
      body: stream("hello", " world"),
      timeout: 2000,
    });
    assert.equal(await sized.text(), "ok");
    const chunked = await t.send(`${up.url}/b`, {
      method: "PUT",
      headers: [],
      body: stream("one,", "two"),
      timeout: 2000,
    });
    assert.equal(await chunked.text(), "ok");
    await (await t.send(`${up.url}/c`, { ...get(), method: "POST" })).text();
  });
  await up.close();
  assert.equal(seen.length, 3);
  assert.match(seen[0]!.head, /\r\ncontent-length: 11(\r\n|$)/);
  assert.doesNotMatch(seen[0]!.head, /expect/i);
  assert.equal(seen[0]!.body, "hello world");
  assert.match(seen[1]!.head, /\r\ntransfer-encoding: chunked(\r\n|$)/);
  assert.equal(seen[1]!.body, "one,two");
  assert.match(seen[2]!.head, /\r\ncontent-length: 0(\r\n|$)/);
  assert.equal(up.connections, 1);
});

Deno.test("denoTransport refuses a body longer than its Content-Length", async () => {
  const up = rawUpstream(everyRequest(() => ok("ok")));
  await withTransport(async (t) => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(10));
        c.close();
      },
    });
    await assert.rejects(
      t.send(`${up.url}/`, {
        method: "POST",
        headers: [["content-length", "4"]],
        body,
        timeout: 2000,
      }),
      TypeError,
    );
  });
  await up.close();
});

Deno.test("hostile upstream answers become 502 and the proxy keeps serving", async () => {
  const answers: Record<string, string> = {
    "/fold": "HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\ncontent-length: 0\r\n\r\n",
    "/space": "HTTP/1.1 200 OK\r\nx-a : 1\r\ncontent-length: 0\r\n\r\n",
    "/lengths": "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc",
    "/badlength": "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
    "/status": "HTTP/1.1 2000 OK\r\ncontent-length: 0\r\n\r\n",
    "/garbage": "SSH-2.0-OpenSSH\r\n\r\n",
    "/upgrade": "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n",
    "/huge": `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(100_000)}\r\n\r\n`,
    "/closed": "",
  };
  const up = rawUpstream(everyRequest((req, conn) => {
    const path = req.head.split(" ")[1]!;
    if (path === "/closed") conn.close();
    return answers[path] ?? ok("fine");
  }));
  const firstRead = Promise.withResolvers<void>();
  const badChunks = rawUpstream(everyRequest(async (req, conn) => {
    if (req.head.includes("/now")) {
      return "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n";
    }
    await conn.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n");
    await firstRead.promise;
    return "zz\r\n";
  }));
  const proxy = new RequestProxy({ transport: denoTransport({ maxHeadSize: 32_768 }) });
  try {
    for (const path of Object.keys(answers)) {
      const res = await proxy.forward(new Request("http://gw.test/"), { target: up.url + path });
      assert.equal(res.status, 502, path);
      assert.equal((await res.json()).code, "upstream_unreachable", path);
    }
    // A bad chunk size that arrives with the head is a 502 too…
    const now = await proxy.forward(new Request("http://gw.test/"), {
      target: `${badChunks.url}/now`,
    });
    assert.equal(now.status, 502);
    await now.body?.cancel();
    // …and one that arrives later fails the body the client is reading.
    const later = await proxy.forward(new Request("http://gw.test/"), { target: badChunks.url });
    assert.equal(later.status, 200);
    const reader = later.body!.getReader();
    assert.deepEqual((await reader.read()).value, new TextEncoder().encode("abc"));
    firstRead.resolve();
    await assert.rejects(reader.read(), TypeError);
    const fine = await proxy.forward(new Request("http://gw.test/"), { target: `${up.url}/ok` });
    assert.equal(await fine.text(), "fine");
  } finally {
    proxy.close();
    await up.close();
    await badChunks.close();
  }
});

Deno.test("a stale kept-alive connection is retried for a GET, never for a POST", async () => {
  // Each connection answers one request, then drops the next without a word.
  const up = rawUpstream(async (conn: ScriptedConn) => {
    if ((await conn.request()) === null) return;
    await conn.write(ok("first"));
    await conn.request();
  });
  await withTransport(async (t) => {
    assert.equal(await (await t.send(`${up.url}/`, get())).text(), "first");
    assert.equal(await (await t.send(`${up.url}/`, get())).text(), "first");
    assert.equal(up.connections, 2, "the GET went again on a new connection");
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array([1]));
        c.close();
      },
    });
    await assert.rejects(
      t.send(`${up.url}/`, {
        method: "POST",
        headers: [["content-length", "1"]],
        body,
        timeout: 2000,
      }),
      TypeError,
    );
    assert.equal(up.connections, 2, "the POST was not sent twice");
  });
  await up.close();
});

Deno.test("denoTransport times out waiting for headers and refuses closed ports", async () => {
  let dropped!: Promise<void>;
  const up = rawUpstream(async (conn) => {
    await conn.request();
    dropped = conn.closed();
    await dropped;
  });
  await withTransport(async (t) => {
    const started = performance.now();
    const err = await t.send(`${up.url}/`, { ...get(), timeout: 100 }).catch((e) => e);
    assert.equal(err.name, "TimeoutError");
    assert.ok(performance.now() - started < 1500);
    await dropped; // the socket was closed, so the upstream sees the end
    await assert.rejects(t.send(`http://127.0.0.1:${closedPort()}/`, get()), TypeError);
  });
  await up.close();
});

Deno.test("close() ends idle connections and a cancelled body ends its own", async () => {
  const ends: Promise<void>[] = [];
  const up = rawUpstream(async (conn) => {
    const req = await conn.request();
    if (req?.head.includes("/stream")) {
      await conn.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n");
    } else await conn.write(ok("idle"));
    const end = conn.closed();
    ends.push(end);
    await end;
  });
  const t = denoTransport();
  const res = await t.send(`${up.url}/stream`, get());
  const reader = res.body!.getReader();
  assert.deepEqual((await reader.read()).value, new TextEncoder().encode("abc"));
  await reader.cancel();
  await (await t.send(`${up.url}/`, get())).text();
  t.close!();
  await Promise.all(ends);
  assert.equal(up.connections, 2);
  await up.close();
});

Deno.test("denoTransport reaches https: upstreams with the given roots", async () => {
  const fixture = (name: string) =>
    Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  const ports = new Set<number>();
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      cert: fixture("localhost.pem"),
      key: fixture("localhost.key"),
      onListen() {},
    },
    (
      req,
      info,
    ) => (ports.add(info.remoteAddr.port), new Response(`tls ${new URL(req.url).pathname}`)),
  );
  const url = `https://localhost:${server.addr.port}`;
  const trusting = denoTransport({ caCerts: [fixture("ca.pem")] });
  const untrusting = denoTransport();
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal(await (await trusting.send(`${url}/x`, get())).text(), "tls /x");
    }
    assert.equal(ports.size, 1);
    await assert.rejects(untrusting.send(`${url}/x`, get()), TypeError);
  } finally {
    trusting.close!();
    untrusting.close!();
    await server.shutdown();
  }
});
