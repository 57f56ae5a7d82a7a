import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { actor, setup } from "../../mod.ts";
import { kvDriver } from "../../drivers/kv.ts";
import { serve } from "../../adapters/node.ts";
import { registry as peerRegistry } from "./kv_peer.ts";

const dir = mkdtempSync(join(tmpdir(), "sy_kv_node_"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tempPath = () => join(dir, `${n++}.db`);

let onTick = () => {};
const counter = actor({
  state: { n: 0 },
  onAuth: () => {},
  actions: { inc: (c) => ++c.state.n, get: (c) => c.state.n },
});
const timer = actor({
  state: { ticks: 0 },
  actions: {
    later: async (c, ms: number) => {
      await c.schedule.after(ms, "tick");
    },
    tick: (c) => {
      c.state.ticks++;
      onTick();
    },
    ticks: (c) => c.state.ticks,
  },
});
const registry = setup({ use: { counter, timer } });
const quiet = () => {};

test("kv on Node: inline actions persist across a restart of the server", async () => {
  const path = tempPath();
  let server = registry.createServer({ driver: await kvDriver({ path }), logger: quiet });
  const id = await server.client.counter.getOrCreate(["a"]).resolve();
  assert.equal(await server.client.counter.getOrCreate(["a"]).inc(), 1);
  assert.equal(await server.client.counter.getOrCreate(["a"]).inc(), 2);
  await server.shutdown();
  server = registry.createServer({ driver: await kvDriver({ path }), logger: quiet });
  try {
    assert.equal(await server.client.counter.getOrCreate(["a"]).resolve(), id);
    assert.equal(await server.client.counter.getOrCreate(["a"]).get(), 2);
  } finally {
    await server.shutdown();
  }
});

test("kv on Node: concurrent getOrCreate returns one actor; create on a taken key answers actor_already_exists", async () => {
  const server = registry.createServer({
    driver: await kvDriver({ path: ":memory:" }),
    logger: quiet,
  });
  try {
    const ids = await Promise.all(
      Array.from({ length: 30 }, () => server.client.counter.getOrCreate(["race"]).resolve()),
    );
    assert.equal(new Set(ids).size, 1);
    await assert.rejects(
      server.client.counter.create(["race"]),
      (e: { code?: string }) => e.code === "actor_already_exists",
    );
  } finally {
    await server.shutdown();
  }
});

test("kv on Node: HTTP actions through the Node adapter", async () => {
  const server = registry.createServer({
    driver: await kvDriver({ path: tempPath() }),
    logger: quiet,
  });
  const http = await serve(server, { port: 0 });
  try {
    const call = async () => {
      const res = await fetch(`http://127.0.0.1:${http.port}/actors/actions/inc`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-sy-query": JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["h"] } }),
        },
        body: JSON.stringify({ args: [] }),
      });
      assert.equal(res.status, 200);
      return (await res.json()).output;
    };
    assert.equal(await call(), 1);
    assert.equal(await call(), 2);
  } finally {
    await http.close();
    await server.shutdown();
  }
});

test("kv on Node: a scheduled action fires after a restart", async () => {
  const path = tempPath();
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const first = registry.createServer({ driver: await kvDriver({ path, clock }), logger: quiet });
  await first.client.timer.getOrCreate(["t"]).later(3_600_000);
  await first.shutdown();
  offset = 7_200_000;
  const ticked = new Promise<void>((r) => (onTick = r));
  const second = registry.createServer({ driver: await kvDriver({ path, clock }), logger: quiet });
  try {
    await ticked;
    assert.equal(await second.client.timer.getOrCreate(["t"]).ticks(), 1);
  } finally {
    await second.shutdown();
  }
});

test("kv on Node: a path that cannot be opened fails at start, naming the path", async () => {
  const path = "/nonexistent-dir/sub/actors.db";
  await assert.rejects(kvDriver({ path }), (e: { code?: string; message: string }) => {
    assert.equal(e.code, "kv_open_failed");
    assert.ok(e.message.includes(`"${path}"`), e.message);
    return true;
  });
});

test("kv: the same file opens on Deno and on Node, chunked state included", async () => {
  const path = tempPath();
  const deno = new URL("../../node_modules/.bin/deno", import.meta.url).pathname;
  const peer = new URL("./kv_peer.ts", import.meta.url).pathname;
  execFileSync(deno, ["run", "-A", peer, "write", path], { stdio: "ignore" });
  const server = peerRegistry.createServer({ driver: await kvDriver({ path }), logger: quiet });
  try {
    const h = server.client.tally.getOrCreate(["shared"]);
    assert.deepEqual(await h.read(), { n: 2, size: 100_000 });
    assert.equal(await h.inc(), 3);
    await h.grow(200_000);
  } finally {
    await server.shutdown();
  }
  const out = execFileSync(deno, ["run", "-A", peer, "read", path], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out.trim()), { n: 3, size: 200_000 });
});
