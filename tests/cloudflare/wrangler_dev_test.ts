/**
 * The Cloudflare example as a developer runs it: `wrangler dev` on
 * 127.0.0.1 with `wrangler.jsonc`, then `/health`, one action and one
 * WebSocket event, then a SIGINT to wrangler's pid.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createClient } from "../../src/client/mod.ts";
import type { registry } from "../../examples/actors.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

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

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resolves with wrangler's URL once it says it is ready; keeps draining its output. */
async function readyUrl(stream: ReadableStream<Uint8Array>, log: string[]): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`wrangler dev ended before it was ready:\n${log.join("")}`);
    log.push(value);
    seen += value;
    const m = seen.match(/Ready on (http:\/\/127\.0\.0\.1:\d+)/);
    if (m) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return m[1]!;
    }
  }
}

Deno.test({
  name: "wrangler dev serves the example: health, an action and a WebSocket event",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const persist = await Deno.makeTempDir({ prefix: "switchyard-wrangler-" });
    const child = new Deno.Command(`${ROOT}node_modules/.bin/wrangler`, {
      args: ["dev", "--ip", "127.0.0.1", "--port", String(freePort()), "--persist-to", persist],
      cwd: ROOT,
      env: { WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const log: string[] = [];
    const stderr = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) log.push(chunk);
    })();
    try {
      const url = await readyUrl(child.stdout, log);
      assert.deepEqual(await (await fetch(`${url}/health`)).json(), { status: "ok" });
      const client = createClient<typeof registry>(url);
      const counter = client.counter.getOrCreate(["wrangler"]);
      const first = await counter.increment(1);
      const conn = counter.connect();
      const changed = waitForEvent<number>(conn, "changed", (v) => v === first + 2);
      await conn.ready();
      await conn.get(); // subscribed
      await counter.increment(2);
      assert.equal(await changed, first + 2);
      await client.dispose();
    } finally {
      child.kill("SIGINT");
      await child.status;
      await stderr;
      await Deno.remove(persist, { recursive: true });
    }
  },
});
