import assert from "node:assert/strict";
import {
  ChunkedDecoder,
  headEnd,
  latin1String,
  parseResponseHead,
  requestHead,
} from "../../src/gateway/_http1.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (parts: Uint8Array[]) => parts.map((p) => latin1String(p)).join("");

Deno.test("ChunkedDecoder gives the same body however the bytes are split", () => {
  const wire = bytes(
    "4\r\nWiki\r\n6;name=v\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nx-t: 1\r\n\r\nNEXT",
  );
  for (const size of [1, 2, 3, 7, 64]) {
    const d = new ChunkedDecoder();
    const out: Uint8Array[] = [];
    let used = 0;
    for (let i = 0; i < wire.length && !d.done; i += size) {
      used += d.feed(wire.subarray(i, i + size), out);
    }
    assert.equal(d.done, true);
    assert.equal(text(out), "Wikipedia in \r\n\r\nchunks.");
    assert.equal(
      latin1String(wire.subarray(used)),
      "NEXT".slice(0, wire.length - used),
      `size ${size}`,
    );
  }
});

Deno.test("ChunkedDecoder refuses malformed framing", () => {
  for (
    const bad of [
      "zz\r\n",
      "5\nhello",
      "3\r\nabcd\r\n",
      "-1\r\n",
      "1".repeat(20) + "\r\n",
      "3\r\nabc\n",
    ]
  ) {
    assert.throws(() => new ChunkedDecoder().feed(bytes(bad), []), TypeError, bad);
  }
  assert.throws(() => new ChunkedDecoder().feed(bytes("a".repeat(5000)), []), TypeError);
});

Deno.test("parseResponseHead picks the framing and whether the connection lives on", () => {
  const h = (s: string, method = "GET") => parseResponseHead(s, method);
  assert.deepEqual(
    [
      h("HTTP/1.1 200 OK\r\ncontent-length: 5").framing,
      h("HTTP/1.1 200 OK\r\ncontent-length: 5").length,
    ],
    ["length", 5],
  );
  assert.equal(h("HTTP/1.1 200 OK\r\ncontent-length: 5, 5").length, 5);
  const both = h("HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked");
  assert.equal(both.framing, "chunked");
  assert.equal(both.keepAlive, false);
  assert.deepEqual(both.headers, []);
  assert.equal(h("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip").framing, "close");
  assert.equal(h("HTTP/1.0 200 OK\r\ncontent-length: 1").keepAlive, false);
  assert.equal(h("HTTP/1.0 200 OK\r\ncontent-length: 1\r\nconnection: keep-alive").keepAlive, true);
  assert.equal(h("HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close").keepAlive, false);
  assert.equal(h("HTTP/1.1 200 OK").framing, "close");
  assert.equal(h("HTTP/1.1 200 OK\r\ncontent-length: 9", "HEAD").framing, "none");
  assert.equal(h("HTTP/1.1 204 No Content").framing, "none");
  assert.equal(h("HTTP/1.1 404").statusText, "");
  assert.equal(h("HTTP/1.1 200 OK\r\nx-a:\t spaced \t").headers[0]![1], "spaced");
  for (
    const bad of [
      "HTTP/2 200 OK",
      "HTTP/1.1 20 OK",
      "HTTP/1.1 200 OK\r\n x: 1",
      "HTTP/1.1 200 OK\r\nx y: 1",
    ]
  ) {
    assert.throws(() => h(bad), TypeError, bad);
  }
});

Deno.test("requestHead frames the body itself and refuses unsendable targets", () => {
  const head = requestHead("POST", "/a?b=1", "up:8080", [["content-length", "3"], ["x", "é"]], 3);
  assert.equal(head, "POST /a?b=1 HTTP/1.1\r\nhost: up:8080\r\nx: é\r\ncontent-length: 3\r\n\r\n");
  assert.match(requestHead("PUT", "/", "h", [], "chunked"), /transfer-encoding: chunked\r\n\r\n$/);
  assert.match(requestHead("GET", "/", "h", [["content-length", "9"]], null), /host: h\r\n\r\n$/);
  assert.throws(() => requestHead("GET", "/a b", "h", [], null), TypeError);
  assert.throws(() => requestHead("GET", "/a\r\nx: 1", "h", [], null), TypeError);
});

Deno.test("headEnd finds the blank line across reads", () => {
  const b = bytes("HTTP/1.1 200 OK\r\na: 1\r\n\r\nbody");
  assert.equal(headEnd(b, 0, b.length), 25);
  assert.equal(headEnd(b, 0, 24), -1);
  assert.equal(headEnd(b, 22, b.length), 25);
});
