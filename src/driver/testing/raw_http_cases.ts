/**
 * Raw HTTP to an actor's `onFetch`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SuiteGroup } from "./harness.ts";

export const rawHttpCases: SuiteGroup = {
  name: "raw http",
  cases: [
    {
      name: "onFetch sees the method, relative path, query string, headers and body",
      async fn({ client, key }) {
        const handle = client.http.getOrCreate(key());
        for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
          const res = await handle.fetch("/echo?a=1&b=two", {
            method,
            headers: { "x-custom": "value" },
            body: `body of ${method}`,
          });
          assert.equal(res.status, 200);
          assert.equal(res.headers.get("x-reply"), "yes");
          assert.deepEqual(await res.json(), {
            method,
            path: "/echo",
            search: "?a=1&b=two",
            header: "value",
            body: `body of ${method}`,
            length: `body of ${method}`.length,
          });
        }
        const get = await handle.fetch("/echo");
        assert.equal((await get.json()).method, "GET");
      },
    },
    {
      name: "binary bodies cross unchanged",
      async fn({ client, key }) {
        const bytes = new Uint8Array(300).map((_, i) => i % 256);
        const res = await client.http.getOrCreate(key()).fetch("/binary", {
          method: "POST",
          body: bytes,
        });
        assert.equal(res.status, 200);
        assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes.slice().reverse());
      },
    },
    {
      name: "streamed request and response bodies work",
      async fn({ client, key }) {
        const handle = client.http.getOrCreate(key());
        const chunks = ["stre", "amed ", "body"];
        const body = new ReadableStream<Uint8Array>({
          pull(ctl) {
            const c = chunks.shift();
            if (c === undefined) ctl.close();
            else ctl.enqueue(new TextEncoder().encode(c));
          },
        });
        const res = await handle.fetch("/echo", { method: "POST", body });
        assert.equal((await res.json()).body, "streamed body");
        const streamed = await handle.fetch("/stream");
        assert.equal(streamed.status, 206);
        assert.equal(await streamed.text(), "one two three");
      },
    },
    {
      name: "onFetch's own status codes come back as they are",
      async fn({ client, key }) {
        const res = await client.http.getOrCreate(key()).fetch("/missing-page");
        assert.equal(res.status, 404);
        assert.equal(await res.text(), "missing");
      },
    },
    {
      name: "an actor without onFetch answers 404 not_found",
      async fn({ client, key }) {
        const res = await client.plain.getOrCreate(key()).fetch("/anything");
        assert.equal(res.status, 404);
        assert.equal((await res.json()).code, "not_found");
      },
    },
    {
      name: "onFetch returning nothing answers 500",
      async fn({ client, key }) {
        const res = await client.http.getOrCreate(key()).fetch("/nothing");
        assert.equal(res.status, 500);
        assert.equal(typeof (await res.json()).code, "string");
      },
    },
    {
      name: "onFetch runs with the actor's state",
      async fn({ client, key }) {
        const handle = client.http.getOrCreate(key());
        for (let i = 0; i < 3; i++) await (await handle.fetch("/missing")).body?.cancel();
        assert.equal(await handle.hits(), 3);
      },
    },
  ],
};
