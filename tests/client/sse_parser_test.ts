import assert from "node:assert/strict";
import { SseParser } from "../../src/client/sse_parser.ts";

const STREAM =
  'data: {"t":"init"}\r\n\r\nevent: close\ndata: a\ndata: b\n\n: comment\rdata: é€😀\r\rid: 7\ndata\n\n';

function parseInChunks(chunks: Array<string | Uint8Array>) {
  const p = new SseParser();
  return [...chunks.flatMap((c) => p.push(c)), ...p.end()];
}

Deno.test("SseParser reads events, multi-line data, comments and every line ending", () => {
  const events = parseInChunks([STREAM]);
  assert.deepEqual(events, [
    { event: "message", data: '{"t":"init"}', id: "" },
    { event: "close", data: "a\nb", id: "" },
    { event: "message", data: "é€😀", id: "" },
    { event: "message", data: "", id: "7" },
  ]);
});

Deno.test("SseParser gives the same events whatever the chunk boundaries", () => {
  const whole = parseInChunks([STREAM]);
  const bytes = new TextEncoder().encode(STREAM);
  for (let size = 1; size <= 7; size++) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
    assert.deepEqual(parseInChunks(chunks), whole, `byte chunks of ${size}`);
  }
  for (let cut = 0; cut <= STREAM.length; cut++) {
    assert.deepEqual(parseInChunks([STREAM.slice(0, cut), STREAM.slice(cut)]), whole, `cut ${cut}`);
  }
});

Deno.test("SseParser keeps a CR LF split across chunks as one line break", () => {
  assert.deepEqual(parseInChunks(["data: x\r", "\n\r", "\n"]), [
    { event: "message", data: "x", id: "" },
  ]);
});

Deno.test("SseParser drops a trailing event without its blank line and strips a BOM", () => {
  assert.deepEqual(parseInChunks(["\ufeffdata: 1\n\ndata: 2\n"]), [
    { event: "message", data: "1", id: "" },
  ]);
});

Deno.test("SseParser reads retry only when it is a number", () => {
  assert.deepEqual(parseInChunks(["retry: 50\ndata: a\n\nretry: x\ndata: b\n\n"]), [
    { event: "message", data: "a", id: "", retry: 50 },
    { event: "message", data: "b", id: "" },
  ]);
});
