/**
 * What only the Cloudflare driver does, in real workerd: identity by
 * `idFromName`, state and alarms that survive a restart, connections that
 * survive hibernation, calls between actors through their objects, and a
 * missing binding.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createClient } from "../../src/client/mod.ts";
import { HEADER_QUERY } from "../../src/protocol/headers.ts";
import { bundleWorker, startWorkerd, type Workerd } from "./workerd.ts";
import type { registry } from "./_worker.ts";

const script = await bundleWorker("tests/cloudflare/_worker.ts");
const WORKERD = { sanitizeOps: false, sanitizeResources: false };

/** The first event `name` on a connection whose value satisfies `match`. */
function waitForEvent<T>(
  conn: { on(name: string, listener: (value: T) => void): () => void },
  name: string,
  match: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const off = conn.on(name, (value) => {
      if (!match(value)) return;
      off();
      resolve(value);
    });
  });
}

/** Asserts that a call rejects with a coded error. */
async function rejectsWith(call: Promise<unknown>, code: string): Promise<void> {
  const err = await call.then(() => undefined, (e) => e as { code?: string });
  assert.equal(err?.code, code);
}

async function withWorkerd(
  fn: (w: Workerd) => Promise<void>,
  options: { persist?: string; binding?: boolean } = {},
): Promise<void> {
  const w = await startWorkerd(script, options);
  try {
    await fn(w);
  } finally {
    await w.dispose();
  }
}

function clientOf(w: Workerd) {
  return createClient<typeof registry>(w.url, {
    reconnect: { initialDelay: 1, maxDelay: 20, jitter: 0, maxAttempts: 10 },
  });
}

Deno.test({
  name: "cloudflare: 20 racing getOrCreate calls reach one actor, created once with one input",
  ...WORKERD,
  fn: () =>
    withWorkerd(async (w) => {
      const key = [crypto.randomUUID()];
      const resolve = (i: number) =>
        fetch(`${w.url}/actors/resolve`, {
          method: "POST",
          headers: {
            [HEADER_QUERY]: JSON.stringify({
              getOrCreateForKey: { name: "lifecycle", key, input: { label: `l${i}` } },
            }),
          },
        }).then((r) => r.json() as Promise<{ actorId: string }>);
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => resolve(i)));
      assert.equal(new Set(ids.map((r) => r.actorId)).size, 1);
      const client = clientOf(w);
      const state = await client.lifecycle.getOrCreate(key).getState();
      assert.equal(state.log.filter((l: string) => l.startsWith("create:")).length, 1);
      assert.match(state.label, /^l\d+$/);
      await client.dispose();
    }),
});

Deno.test({
  name: "cloudflare: getForId() with an id of an object never created rejects with actor_not_found",
  ...WORKERD,
  fn: () =>
    withWorkerd(async (w) => {
      const ns = await w.mf.getDurableObjectNamespace("ACTORS") as unknown as {
        idFromName(name: string): { toString(): string };
      };
      const unused = ns.idFromName("never created").toString();
      const client = clientOf(w);
      await rejectsWith(client.counter.getForId(unused).getCount(), "actor_not_found");
      await rejectsWith(client.counter.getForId("not-an-object-id").getCount(), "actor_not_found");
      await client.dispose();
    }),
});

Deno.test({
  name: "cloudflare: state survives a workerd restart, also when it spans several storage chunks",
  ...WORKERD,
  async fn() {
    const persist = await Deno.makeTempDir({ prefix: "switchyard-cf-" });
    try {
      const key = [crypto.randomUUID()];
      await withWorkerd(async (w) => {
        const client = clientOf(w);
        assert.equal(await client.counter.getOrCreate(key).increment(41), 41);
        assert.equal(await client.blob.getOrCreate(key).fill(300_000, "x"), 300_000);
        await client.dispose();
      }, { persist });
      await withWorkerd(async (w) => {
        const client = clientOf(w);
        assert.equal(await client.counter.get(key).increment(1), 42);
        assert.deepEqual(await client.blob.get(key).summary(), { length: 300_000, head: "xxx" });
        assert.equal(await client.blob.get(key).fill(10, "y"), 10); // fewer chunks than before
        assert.deepEqual(await client.blob.get(key).summary(), { length: 10, head: "yyy" });
        await client.dispose();
      }, { persist });
    } finally {
      await Deno.remove(persist, { recursive: true });
    }
  },
});

Deno.test({
  name: "cloudflare: a scheduled action fires after a workerd restart",
  ...WORKERD,
  async fn() {
    const persist = await Deno.makeTempDir({ prefix: "switchyard-cf-" });
    try {
      const key = [crypto.randomUUID()];
      await withWorkerd(async (w) => {
        const client = clientOf(w);
        assert.equal(await client.scheduler.getOrCreate(key).tickLater(1_000, "later"), true);
        await client.dispose();
      }, { persist });
      await withWorkerd(async (w) => {
        const client = clientOf(w);
        const conn = client.scheduler.get(key).connect();
        const ticked = waitForEvent<string>(conn, "ticked");
        // Subscribed once a round trip is done: the tick is in the state or still coming.
        if ((await conn.ticks()).length === 0) await ticked;
        assert.deepEqual(await conn.ticks(), ["later"]);
        await client.dispose();
      }, { persist });
    } finally {
      await Deno.remove(persist, { recursive: true });
    }
  },
});

Deno.test({
  name: "cloudflare: a hibernated connection keeps its id, state and event numbering",
  ...WORKERD,
  fn: () =>
    withWorkerd(async (w) => {
      const client = clientOf(w);
      const key = [crypto.randomUUID()];
      const conn = client.room.getOrCreate(key).connect({ name: "ada" });
      const id = await conn.ready();
      const closes: number[] = [];
      conn.onClose((ev) => closes.push(ev.code));
      const said: string[] = [];
      conn.on("said", (text: string) => said.push(text));
      assert.equal(await conn.bump(), 1);
      const firstSaid = waitForEvent<string>(conn, "said", (t) => t === "before");
      await client.room.getOrCreate(key).say("before");
      await firstSaid;
      const boot = await conn.boot();
      // workerd evicts an object that has been idle for 10 s; its hibernated sockets stay open.
      await new Promise((r) => setTimeout(r, 11_500));
      const after = waitForEvent<string>(conn, "said", (t) => t === "after");
      await client.room.getOrCreate(key).say("after"); // wakes the object over HTTP
      assert.equal(await after, "after");
      assert.notEqual(await conn.boot(), boot, "the object was rebuilt after hibernation");
      assert.equal(conn.id, id);
      assert.equal(await conn.connName(), "ada");
      assert.equal(await conn.bump(), 2);
      assert.deepEqual(said, ["before", "after"]);
      assert.deepEqual(closes, []);
      await client.dispose();
    }),
});

Deno.test({
  name: "cloudflare: actors call each other through their objects (c.client() and messages)",
  ...WORKERD,
  fn: () =>
    withWorkerd(async (w) => {
      const client = clientOf(w);
      const a = client.room.getOrCreate([crypto.randomUUID()]);
      const peer = crypto.randomUUID();
      assert.equal(await a.tellPeer(peer, "hello"), 1);
      assert.deepEqual(await client.room.get([peer]).said(), ["hello"]);
      const inbox = client.inbox.getOrCreate([crypto.randomUUID()]);
      const inboxId = await inbox.resolve();
      const reply = await a.ask(inboxId, { ping: 1 }) as { echo: unknown; from: string; n: number };
      assert.deepEqual(reply.echo, { ping: 1 });
      assert.equal(reply.from, await a.resolve());
      assert.equal(await inbox.count(), 1);
      await client.dispose();
    }),
});

Deno.test({
  name: "cloudflare: a Worker without the namespace binding answers invalid_config naming it",
  ...WORKERD,
  fn: () =>
    withWorkerd(async (w) => {
      const res = await fetch(`${w.url}/actors/actions/increment`, { method: "POST" });
      assert.equal(res.status, 500);
      const body = await res.json();
      assert.equal(body.code, "invalid_config");
      assert.match(body.message, /"ACTORS"/);
      // The Worker keeps serving (and keeps saying why).
      assert.equal((await fetch(`${w.url}/health`).then((r) => r.json())).code, "invalid_config");
    }, { binding: false }),
});

Deno.test({
  name: "cloudflare: bad input gets the same coded errors as on other drivers",
  ...WORKERD,
  fn: () =>
    withWorkerd(async (w) => {
      const post = (query: string, body: string) =>
        fetch(`${w.url}/actors/actions/increment`, {
          method: "POST",
          headers: { [HEADER_QUERY]: query, "content-type": "application/json" },
          body,
        }).then(async (r) => ({ status: r.status, code: (await r.json()).code }));
      assert.deepEqual(await post("{not json", "{}"), { status: 400, code: "invalid_query" });
      const query = JSON.stringify({ getOrCreateForKey: { name: "nope", key: ["a"] } });
      assert.deepEqual(await post(query, "{}"), { status: 404, code: "actor_not_found" });
      const counter = JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["a"] } });
      assert.equal((await post(counter, "{broken")).status, 400);
      assert.deepEqual(await post(counter, '{"args":[2]}'), { status: 200, code: undefined });
    }),
});
