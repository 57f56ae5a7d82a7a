/**
 * The examples of the docs pages (docs/*.md). Every TypeScript block of a
 * page is type-checked, and the self-contained ones run; the remote-client
 * examples, which import the server's registry type from another file, run
 * here against a real server on 127.0.0.1, written as the page writes them.
 *
 * @module
 */
import assert from "node:assert/strict";
import { actor, setup, type SwitchyardError } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { createClient } from "../src/client/mod.ts";

const ROOT = new URL("../", import.meta.url);
/** Pages whose blocks run as they are (type-checked first). */
const RUNNABLE = ["docs/actors.md", "docs/clients.md", "docs/errors.md"];
/** Pages whose blocks are only type-checked: they start servers that keep running. */
const CHECKED = ["docs/architecture.md", "docs/deploy.md"];

async function deno(args: string[]): Promise<{ ok: boolean; out: string }> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { ok: success, out: text.decode(stdout) + text.decode(stderr) };
}

Deno.test("the examples of the docs pages type-check, and the self-contained ones run", async () => {
  const checked = await deno(["check", "--doc-only", ...CHECKED]);
  assert.ok(checked.ok, checked.out);
  const ran = await deno(["test", "-A", "--doc", ...RUNNABLE]);
  assert.ok(ran.ok, ran.out);
});

// The `server.ts` of docs/clients.md.
const counter = actor({
  state: { count: 0 },
  onAuth: () => {}, // public
  actions: {
    increment: (c, by: number) => {
      c.state.count += by;
      c.broadcast("changed", c.state.count);
      return c.state.count;
    },
    value: (c) => c.state.count,
  },
  onFetch: (c, request) => {
    const url = new URL(request.url);
    return Response.json({ path: url.pathname + url.search, count: c.state.count });
  },
  onWebSocket: (_c, socket, { request }) => {
    const path = new URL(request.url).pathname;
    socket.addEventListener("message", (ev) => socket.send(`${path}: ${String(ev.data)}`));
  },
});
const registry = setup({ use: { counter } });

/** Serves the registry on a free port of 127.0.0.1; `close()` stops both. */
function serve() {
  const server = registry.createServer({ driver: memoryDriver(), cors: { origin: "*" } });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.fetch);
  return {
    url: `http://127.0.0.1:${http.addr.port}`,
    async close() {
      await server.shutdown();
      await http.shutdown();
    },
  };
}

Deno.test("clients.md: the remote client runs an action, reads by id and sends raw HTTP", async () => {
  const s = serve();
  const client = createClient<typeof registry>(s.url);
  try {
    const counter = client.counter.getOrCreate(["a"]);
    assert.equal(await counter.increment(1), 1);

    const a = client.counter.getOrCreate(["a"]);
    await a.increment(2);
    const id = await a.resolve();
    assert.equal(await client.counter.getForId(id).value(), 3);

    const res = await a.fetch("/stats?verbose=1");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { path: "/stats?verbose=1", count: 3 });

    const b = await client.counter.create(["b"]);
    assert.equal(await b.value(), 0);
    await assert.rejects(
      () => client.counter.create(["b"]),
      (e: SwitchyardError) => e.code === "actor_already_exists",
    );
  } finally {
    await client.dispose();
    await s.close();
  }
});

Deno.test("clients.md: a connection gets events, reports its status and closes with 1000", async () => {
  const s = serve();
  const client = createClient<typeof registry>(s.url);
  try {
    const conn = client.counter.getOrCreate(["a"]).connect();
    const seen: number[] = [];
    const changed = Promise.withResolvers<void>();
    const off = conn.on("changed", (count: number) => {
      seen.push(count);
      changed.resolve();
    });
    const errors: string[] = [];
    conn.onError((error) => errors.push(error.code));
    const closed = new Promise<number>((r) => conn.onClose(({ code }) => r(code)));

    const connId = await conn.ready();
    assert.equal(conn.id, connId);
    assert.equal(conn.status, "open");
    assert.equal(await conn.increment(5), 5);
    await changed.promise;
    assert.deepEqual(seen, [5]);
    off();
    await conn.dispose();
    assert.equal(await closed, 1000);
    assert.equal(conn.status, "closed");
    assert.deepEqual(errors, []);
  } finally {
    await client.dispose();
    await s.close();
  }
});

Deno.test("clients.md: a raw WebSocket reaches onWebSocket with the path relative to the actor", async () => {
  const s = serve();
  const client = createClient<typeof registry>(s.url);
  try {
    const socket = await client.counter.getOrCreate(["a"]).websocket("/live", ["my-protocol"]);
    const message = new Promise<unknown>((r) =>
      socket.addEventListener("message", (ev) => r(ev.data))
    );
    socket.send("hello");
    assert.equal(await message, "/live: hello");
    assert.equal(socket.protocol, "my-protocol");
  } finally {
    await client.dispose(); // closes the raw socket too
    await s.close();
  }
});

Deno.test("CHANGELOG.md: createServer() rejects the removed inline.fastPath option", () => {
  const options = { driver: memoryDriver(), inline: { fastPath: false } };
  assert.throws(
    () => registry.createServer(options as Parameters<typeof registry.createServer>[0]),
    (e: SwitchyardError) => e.code === "invalid_config" && e.message.includes('"inline"'),
  );
});
