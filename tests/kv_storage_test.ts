/**
 * What the kv driver stores and how it treats bad input: chunked states,
 * corrupt or truncated values, keys past KV's limit, a path that cannot be
 * opened, and each driver's `durable` default.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, setup } from "../mod.ts";
import { kvDriver } from "../drivers/kv.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { StoreControl, tempKvPath, withRawKv } from "./kv_test_utils.ts";

const blob = actor({
  state: { fill: "", size: 0 },
  actions: {
    fill: (c, ch: string, size: number) => {
      c.state.fill = ch.repeat(size);
      c.state.size = size;
      return size;
    },
    check: (c) => c.state.fill.length === c.state.size && c.state.fill[0],
  },
});
const counter = actor({
  state: { n: 0 },
  actions: { inc: (c) => ++c.state.n },
});
const registry = setup({ use: { blob, counter } });

interface Log {
  level: string;
  message: string;
  data: Record<string, unknown>;
}

async function open(path: string, logs: Log[] = []) {
  return registry.createServer({
    driver: await kvDriver({ path }),
    logger: (level, message, data) => logs.push({ level, message, data }),
  });
}

function chunkCount(path: string, id: string): Promise<number> {
  return withRawKv(path, async (kv) => {
    let n = 0;
    for await (const _ of kv.list({ prefix: ["sy", "state", id] })) n++;
    return n;
  });
}

Deno.test("a state larger than one KV value is stored in chunks and read back whole", async () => {
  const path = tempKvPath();
  let server = await open(path);
  const id = await server.client.blob.getOrCreate(["big"]).resolve();
  assert.equal(await server.client.blob.getOrCreate(["big"]).fill("x", 300_000), 300_000);
  await server.shutdown();
  assert.equal(await chunkCount(path, id), 5);

  server = await open(path);
  try {
    const h = server.client.blob.getOrCreate(["big"]);
    assert.equal(await h.check(), "x");
    await h.fill("y", 10); // shrinks to one chunk: the others are deleted in the same commit
    assert.equal(await chunkCount(path, id), 1);
    assert.equal(await h.check(), "y");
  } finally {
    await server.shutdown();
  }
});

Deno.test("a state over the per-commit limit is refused with state_too_large", async () => {
  const server = await open(tempKvPath());
  try {
    const h = server.client.blob.getOrCreate(["huge"]);
    await assert.rejects(
      h.fill("z", 900_000),
      (e: { code?: string }) => e.code === "state_too_large",
    );
    assert.equal(await h.fill("z", 100), 100); // the actor keeps working
  } finally {
    await server.shutdown();
  }
});

Deno.test("a corrupt value fails that one actor with state_corrupt and a log line; the others work; nothing is overwritten", async () => {
  const path = tempKvPath();
  let server = await open(path);
  const bad = await server.client.counter.getOrCreate(["bad"]).resolve();
  await server.client.counter.getOrCreate(["bad"]).inc();
  await server.client.counter.getOrCreate(["good"]).inc();
  await server.shutdown();
  const garbage = new Uint8Array([0x53, 1, 0, 0, 0, 1, 0, 0, 0, 9]); // a truncated header
  await withRawKv(path, (kv) => kv.set(["sy", "state", bad, 0], garbage));

  const logs: Log[] = [];
  server = await open(path, logs);
  try {
    await assert.rejects(
      server.client.counter.getOrCreate(["bad"]).inc(),
      (e: { code?: string }) => e.code === "state_corrupt",
    );
    assert.ok(logs.some((l) => l.level === "error" && l.data.actorId === bad), "logged");
    assert.equal(await server.client.counter.getOrCreate(["good"]).inc(), 2);
    // Asked again, it fails again: nothing was written over the stored bytes.
    await assert.rejects(
      server.client.counter.getOrCreate(["bad"]).inc(),
      (e: { code?: string }) => e.code === "state_corrupt",
    );
  } finally {
    await server.shutdown();
  }
  const after = await withRawKv(path, (kv) => kv.get<Uint8Array>(["sy", "state", bad, 0]));
  assert.deepEqual(after.value, garbage);
});

Deno.test("a missing chunk or a checksum mismatch is state_corrupt, never a torn state", async () => {
  const path = tempKvPath();
  let server = await open(path);
  const a = await server.client.blob.getOrCreate(["a"]).resolve();
  const b = await server.client.blob.getOrCreate(["b"]).resolve();
  await server.client.blob.getOrCreate(["a"]).fill("a", 200_000);
  await server.client.blob.getOrCreate(["b"]).fill("b", 200_000);
  await server.shutdown();
  await withRawKv(path, async (kv) => {
    await kv.delete(["sy", "state", a, 2]);
    const c1 = (await kv.get<Uint8Array>(["sy", "state", b, 1])).value!;
    const flipped = c1.slice();
    flipped[100] = flipped[100]! ^ 1;
    await kv.set(["sy", "state", b, 1], flipped);
  });
  const logs: Log[] = [];
  server = await open(path, logs);
  try {
    for (const key of ["a", "b"]) {
      await assert.rejects(
        server.client.blob.getOrCreate([key]).check(),
        (e: { code?: string; message: string }) => e.code === "state_corrupt",
      );
    }
    const messages = logs.map((l) => String(l.data.error)).join("\n");
    assert.match(messages, /chunk 2 of 4 is missing/);
    assert.match(messages, /checksum does not match/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a stored value with a good header but no CBOR inside is state_corrupt", async () => {
  const path = tempKvPath();
  let server = await open(path);
  const id = await server.client.counter.getOrCreate(["x"]).resolve();
  await server.shutdown();
  const payload = new Uint8Array([0xff, 0xff, 0xff]);
  await withRawKv(path, (kv) => kv.set(["sy", "state", id, 0], withHeader(payload)));
  server = await open(path);
  try {
    await assert.rejects(
      server.client.counter.getOrCreate(["x"]).inc(),
      (e: { code?: string }) => e.code === "state_corrupt",
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("a key longer than KV stores answers key_too_long", async () => {
  const server = await open(":memory:");
  try {
    const key = Array.from({ length: 3 }, (_, i) => `${i}`.repeat(1000));
    await assert.rejects(
      server.client.counter.getOrCreate(key).resolve(),
      (e: { code?: string; message: string }) =>
        e.code === "key_too_long" && /stores at most \d+/.test(e.message),
    );
    assert.equal(await server.client.counter.getOrCreate(["short"]).inc(), 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a path that cannot be opened fails at start, naming the path", async () => {
  const path = "/nonexistent-dir/sub/actors.db";
  await assert.rejects(kvDriver({ path }), (e: { code?: string; message: string }) => {
    assert.equal(e.code, "kv_open_failed");
    assert.ok(e.message.includes(`"${path}"`), e.message);
    return true;
  });
});

Deno.test("actors are durable by default on kv and not on memory; durable: false opts out on kv", async () => {
  const control = new StoreControl();
  const plain = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
  const optedOut = actor({
    state: { n: 0 },
    options: { durable: false },
    actions: { inc: (c) => ++c.state.n },
  });
  const reg = setup({ use: { plain, optedOut } });
  const kv = reg.createServer({
    driver: await kvDriver({ path: ":memory:", wrapStore: control.wrap }),
    logger: () => {},
  });
  const mem = reg.createServer({ driver: memoryDriver(), logger: () => {} });
  try {
    await kv.client.plain.getOrCreate(["a"]).inc();
    await kv.client.optedOut.getOrCreate(["a"]).inc();
    control.hold();
    const arrived = control.nextCommit();
    let answered = false;
    const pending = kv.client.plain.getOrCreate(["a"]).inc().then(() => (answered = true));
    await arrived;
    assert.equal(answered, false, "kv: the action waits for its commit");
    assert.equal(await kv.client.optedOut.getOrCreate(["a"]).inc(), 2);
    control.release();
    await pending;
    // The memory driver answers a plain action synchronously inside the runtime (not durable).
    assert.equal(await mem.client.plain.getOrCreate(["a"]).inc(), 1);
  } finally {
    control.release();
    await kv.shutdown();
    await mem.shutdown();
  }
});

/** Chunk 0 of a one-chunk state: the header (magic, version, count, length, FNV-1a) and the bytes. */
function withHeader(payload: Uint8Array): Uint8Array {
  let h = 0x811c9dc5;
  for (const b of payload) h = Math.imul(h ^ b, 0x01000193);
  const out = new Uint8Array(14 + payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0x53;
  out[1] = 1;
  view.setUint32(2, 1);
  view.setUint32(6, payload.length);
  view.setUint32(10, h >>> 0);
  out.set(payload, 14);
  return out;
}
