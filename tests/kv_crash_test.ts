/**
 * A real process, a real kill: a server on a kv file takes concurrent
 * durable increments over HTTP and is killed with SIGKILL at random moments,
 * then restarted on the same file. Every acknowledged increment must be
 * there, no actor unreadable, no chunked state torn.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tempKvPath } from "./kv_test_utils.ts";

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
const SERVER = new URL("./kv_crash_server.ts", import.meta.url).pathname;
const KILLS = 20;
const WORKERS = 16;
const ACTORS = [
  ...Array.from({ length: 12 }, (_, i) => ({ type: "small", key: `s${i}` })),
  ...Array.from({ length: 6 }, (_, i) => ({ type: "big", key: `b${i}` })),
];

interface Running {
  child: Deno.ChildProcess;
  base: string;
}

async function start(path: string): Promise<Running> {
  const child = new Deno.Command(DENO, {
    args: ["run", "-A", SERVER, path],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Server exited before listening: ${out}`);
    out += value;
  }
  reader.releaseLock();
  void child.stdout.cancel().catch(() => {});
  const port = /listening (\d+)/.exec(out)?.[1];
  if (!port) throw new Error(`Unexpected server output: ${out}`);
  return { child, base: `http://127.0.0.1:${port}` };
}

async function call(base: string, a: { type: string; key: string }, action: string) {
  const res = await fetch(`${base}/actors/actions/${action}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-sy-query": JSON.stringify({ getOrCreateForKey: { name: a.type, key: [a.key] } }),
    },
    body: JSON.stringify({ args: [] }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body.output;
}

Deno.test({
  name: "every acknowledged increment survives 20 kill -9 of the server, and no state is torn",
  sanitizeResources: false, // fetches cut by a kill leave connections the runtime closes later
  sanitizeOps: false,
  async fn() {
    const path = tempKvPath();
    const acked = new Map<string, number>(); // highest acknowledged value per actor
    const sent = new Map<string, number>(); // increments sent per actor
    const started = Date.now();
    let requests = 0;
    for (let round = 0; round <= KILLS; round++) {
      const { child, base } = await start(path);
      // After each restart: every actor readable, whole, with every acknowledged increment.
      for (const a of ACTORS) {
        const id = `${a.type}/${a.key}`;
        const { n, whole } = await call(base, a, "read");
        assert.ok(whole, `${id}: chunked state is torn`);
        assert.ok(n >= (acked.get(id) ?? 0), `${id}: ${n} < acknowledged ${acked.get(id)}`);
        assert.ok(n <= (sent.get(id) ?? 0), `${id}: ${n} > sent ${sent.get(id)}`);
      }
      if (round === KILLS) {
        child.kill("SIGTERM");
        await child.status;
        break;
      }
      let stop = false;
      const worker = async () => {
        while (!stop) {
          const a = ACTORS[Math.floor(Math.random() * ACTORS.length)]!;
          const id = `${a.type}/${a.key}`;
          sent.set(id, (sent.get(id) ?? 0) + 1);
          requests++;
          try {
            const v = await call(base, a, "inc");
            acked.set(id, Math.max(acked.get(id) ?? 0, v));
          } catch {
            return; // the server is gone
          }
        }
      };
      const workers = Array.from({ length: WORKERS }, worker);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 250)); // a random moment
      child.kill("SIGKILL");
      await child.status;
      stop = true;
      await Promise.all(workers);
    }
    const total = [...acked.values()].reduce((s, v) => s + v, 0);
    assert.ok(total > KILLS * 10, `only ${total} acknowledged increments`);
    console.log(
      `${KILLS} kills, ${requests} requests, ${total} acknowledged, ${Date.now() - started} ms`,
    );
  },
});
