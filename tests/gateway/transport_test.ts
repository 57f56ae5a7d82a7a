import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { RequestProxy } from "../../src/gateway/request_proxy.ts";
import {
  nodeTransport,
  nodeTransportAvailable,
  type UndiciDispatcher,
} from "../../src/gateway/node_transport.ts";
import { requestUrlParts } from "../../src/gateway/target_url.ts";
import {
  fetchTransport,
  type ProxyTransport,
  timeoutError,
  type TransportRequest,
} from "../../src/gateway/transport.ts";
import { serve } from "./_helpers.ts";

Deno.test("requestUrlParts() reads host, path and query as URL does", () => {
  const urls = [
    "http://a.b:8080/x/y?q=1#f",
    "https://h/",
    "http://h/?",
    "http://h/p?",
    "http://[::1]:9/a%2Fb/?x=%20&y#",
    "http://h/a#b?c",
    "https://h:443/x",
    "http://h/%7Efoo/./bar/../baz",
  ];
  for (const raw of urls) {
    const href = new Request(raw).url;
    const want = new URL(href);
    const got = requestUrlParts(href);
    for (const k of ["host", "pathname", "protocol", "search"] as const) {
      assert.equal(got[k], want[k], `${raw} ${k}`);
    }
  }
});

Deno.test("a transport gets the rewritten request and its failures map to 504, 502, 500", async () => {
  const seen: { url: string; request: TransportRequest }[] = [];
  let fail: unknown;
  const transport: ProxyTransport = {
    send(url, request) {
      seen.push({ url, request });
      return fail === undefined ? Promise.resolve(new Response("ok")) : Promise.reject(fail);
    },
  };
  const proxy = new RequestProxy({ transport, timeout: 1234 });
  const req = new Request("https://gw.test/in?q=1", {
    headers: { connection: "x-a", "x-a": "1", "x-b": "2", host: "gw.test" },
  });
  const ok = await proxy.forward(req, { target: "http://up.test/base", remainder: "/r" });
  assert.equal(await ok.text(), "ok");
  assert.equal(seen[0]!.url, "http://up.test/base/r?q=1");
  const { method, headers, body, timeout } = seen[0]!.request;
  assert.deepEqual({ method, body, timeout }, { method: "GET", body: null, timeout: 1234 });
  assert.deepEqual(headers, [
    ["x-b", "2"],
    ["x-forwarded-host", "gw.test"],
    ["x-forwarded-proto", "https"],
  ]);
  const cases: [unknown, number, string][] = [
    [timeoutError(1234), 504, "upstream_timeout"],
    [new TypeError("refused"), 502, "upstream_unreachable"],
    [new Error("boom"), 500, "upstream_error"],
  ];
  for (const [err, status, code] of cases) {
    fail = err;
    const res = await proxy.forward(new Request("http://gw.test/"), { target: "http://up.test" });
    assert.equal(res.status, status);
    assert.equal((await res.json()).code, code);
  }
});

Deno.test("fetchTransport() removes hop-by-hop response fields and times out with TimeoutError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const served = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(4096);
      await conn.read(buf);
      if (new TextDecoder().decode(buf).startsWith("GET /slow")) {
        await new Promise((r) => setTimeout(r, 300));
      }
      await conn.write(
        new TextEncoder().encode(
          "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n" +
            "X-Hop: 1\r\nProxy-Connection: x\r\nX-Kept: yes\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "2\r\nhi\r\n0\r\n\r\n",
        ),
      ).catch(() => {});
      conn.close();
    }
  })();
  try {
    const transport = fetchTransport();
    const res = await transport.send(`http://127.0.0.1:${port}/`, {
      method: "GET",
      headers: [],
      body: null,
      timeout: 5_000,
    });
    assert.equal(await res.text(), "hi");
    for (
      const name of ["connection", "keep-alive", "x-hop", "proxy-connection", "transfer-encoding"]
    ) {
      assert.equal(res.headers.get(name), null, name);
    }
    assert.equal(res.headers.get("x-kept"), "yes");
    await assert.rejects(
      transport.send(`http://127.0.0.1:${port}/slow`, {
        method: "GET",
        headers: [],
        body: null,
        timeout: 50,
      }),
      (err: Error) => err.name === "TimeoutError",
    );
  } finally {
    listener.close();
    await served.catch(() => {});
  }
});

/** The undici callback API, as the transport implements it. */
interface Handler {
  onConnect(abort: (reason: unknown) => void): void;
  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Uint8Array): boolean;
  onComplete(trailers: unknown[]): void;
  onError(err: unknown): void;
}

/** A dispatcher that plays a scripted exchange with the undici callback API. */
function scripted(
  play: (handler: Handler, options: Record<string, unknown>) => void,
): UndiciDispatcher & { options: Record<string, unknown>[] } {
  const options: Record<string, unknown>[] = [];
  return {
    options,
    dispatch(opts, handler) {
      options.push(opts);
      play(handler as Handler, opts);
      return true;
    },
  };
}

const raw = (...fields: string[]) => fields.map((f) => Buffer.from(f, "latin1"));
const get = (over: Partial<TransportRequest> = {}): TransportRequest => ({
  method: "GET",
  headers: [["x-a", "1"], ["expect", "100-continue"]],
  body: null,
  timeout: 1_000,
  ...over,
});

Deno.test("nodeTransport() answers a body that came with the headers as bytes", async () => {
  const d = scripted((h) => {
    h.onConnect(() => {});
    h.onHeaders(
      200,
      raw(
        "Content-Type",
        "text/plain",
        "Connection",
        "keep-alive, X-Hop",
        "X-Hop",
        "1",
        "Set-Cookie",
        "a=1",
        "Set-Cookie",
        "b=2",
        "Vary",
        "a",
        "Vary",
        "b",
      ),
      () => {},
      "OK",
    );
    h.onData(Buffer.from("hello "));
    h.onData(Buffer.from("world"));
    h.onComplete([]);
  });
  const res = await nodeTransport({ dispatcher: d }).send("http://up.test:81/p?q", get());
  assert.equal(res.status, 200);
  assert.equal(res.statusText, "OK");
  assert.equal(await res.text(), "hello world");
  assert.equal(res.headers.get("x-hop"), null);
  assert.equal(res.headers.get("connection"), null);
  assert.equal(res.headers.get("vary"), "a, b");
  assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
  const o = d.options[0]!;
  assert.equal(o.origin, "http://up.test:81");
  assert.equal(o.path, "/p?q");
  assert.deepEqual(o.headers, ["x-a", "1"]);
  assert.equal(o.headersTimeout, 0);
  assert.equal(o.bodyTimeout, 0);
});

Deno.test("nodeTransport() streams a body that keeps coming, with backpressure", async () => {
  let handler!: Handler;
  let resumed = 0;
  const d = scripted((h) => {
    handler = h;
    h.onConnect(() => {});
    h.onHeaders(
      200,
      raw("Content-Type", "text/event-stream"),
      () => resumed++,
      "OK",
    );
  });
  const res = await nodeTransport({ dispatcher: d }).send("http://up.test/", get());
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  assert.equal(handler.onData(Buffer.from("data: 1\n\n")), false); // queue full: pause
  assert.equal(dec.decode((await reader.read()).value), "data: 1\n\n");
  assert.equal(resumed, 1);
  handler.onData(Buffer.from("data: 2\n\n"));
  handler.onComplete([]);
  assert.equal(dec.decode((await reader.read()).value), "data: 2\n\n");
  assert.equal((await reader.read()).done, true);
});

Deno.test("nodeTransport() rejects with TypeError, TimeoutError, or the dispatch error", async () => {
  const refused = scripted((h) => h.onError(new Error("connect ECONNREFUSED")));
  await assert.rejects(
    nodeTransport({ dispatcher: refused }).send("http://up.test/", get()),
    (err: Error) => err instanceof TypeError && /ECONNREFUSED/.test(err.message),
  );
  // Connected, then silent: the deadline aborts through undici's abort callback.
  let aborted: unknown;
  const silent = scripted((h) => {
    h.onConnect(
      (reason: unknown) => {
        aborted = reason;
        h.onError(reason);
      },
    );
  });
  await assert.rejects(
    nodeTransport({ dispatcher: silent }).send("http://up.test/", get({ timeout: 30 })),
    (err: Error) => err.name === "TimeoutError",
  );
  assert.equal((aborted as Error).name, "TimeoutError");
  // Never connected (queued behind a full pool): the deadline answers anyway.
  const queued = scripted(() => {});
  await assert.rejects(
    nodeTransport({ dispatcher: queued }).send("http://up.test/", get({ timeout: 30 })),
    (err: Error) => err.name === "TimeoutError",
  );
  const throwing = scripted(() => {
    throw new RangeError("invalid header");
  });
  await assert.rejects(
    nodeTransport({ dispatcher: throwing }).send("http://up.test/", get()),
    RangeError,
  );
});

Deno.test("nodeTransport() answers HEAD and 204 without a body; Deno keeps fetch by default", async () => {
  const d = scripted((h, o) => {
    h.onConnect(() => {});
    h.onHeaders(
      o.method === "HEAD" ? 200 : 204,
      raw("Content-Length", "5"),
      () => {},
      "",
    );
    h.onComplete([]);
  });
  const t = nodeTransport({ dispatcher: d });
  const head = await t.send("http://up.test/", get({ method: "HEAD" }));
  assert.equal(head.body, null);
  assert.equal(head.headers.get("content-length"), "5");
  assert.equal((await t.send("http://up.test/", get())).status, 204);
  assert.equal(nodeTransportAvailable(), false);
});

Deno.test("a RequestProxy over the default transport still serves on Deno", async () => {
  const up = serve(() => new Response("fine"));
  try {
    const res = await new RequestProxy().forward(new Request("http://gw.test/"), {
      target: up.url,
    });
    assert.equal(await res.text(), "fine");
  } finally {
    await up.close();
  }
});
