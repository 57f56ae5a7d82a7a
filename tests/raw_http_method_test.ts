import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";

const web = actor({
  onAuth: () => {},
  onFetch: (_c, request) => new Response(`method ${request.method}`),
  actions: {},
});
const registry = setup({ use: { web } });
const query = JSON.stringify({ getOrCreateForKey: { name: "web", key: ["a"] } });

/** Sends one raw HTTP/1.1 request (fetch refuses these methods) and reads the whole answer. */
async function rawRequest(port: number, method: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const head = `${method} /actors/raw/http/x HTTP/1.1\r\nhost: local\r\nx-sy-query: ${query}\r\n` +
    "connection: close\r\n\r\n";
  await conn.write(new TextEncoder().encode(head));
  const text = await new Response(conn.readable).text();
  return text;
}

Deno.test("raw HTTP with TRACE or TRACK answers 405 method_not_allowed with a coded body", async () => {
  const server = registry.createServer({ driver: memoryDriver() });
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => server.fetch(req),
  );
  for (const method of ["TRACE", "TRACK"]) {
    const answer = await rawRequest(http.addr.port, method);
    assert.match(answer, /^HTTP\/1\.1 405 /, answer);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    assert.deepEqual(body, {
      code: "method_not_allowed",
      message: `Method "${method}" is not allowed on raw HTTP`,
    });
  }
  // Other methods still reach onFetch, and the server keeps serving.
  const ok = await rawRequest(http.addr.port, "PROPFIND");
  assert.match(ok, /^HTTP\/1\.1 200 /, ok);
  assert.ok(ok.endsWith("method PROPFIND"), ok);
  await server.shutdown();
  await http.shutdown();
});
