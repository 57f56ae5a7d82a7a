/**
 * The Cloudflare driver in local workerd (Miniflare) beside the memory
 * driver, in the same run and on the same actors (examples/actors.ts):
 *
 * - **HTTP actions**: 16 concurrent callers, each looping
 *   `POST /actors/actions/increment` on one counter (fetch keep-alive);
 * - **WebSocket actions**: one `connect()` of the switchyard client, 64
 *   concurrent callers each looping `await conn.increment(1)`;
 * - **bundle size** of `examples/worker.ts`, minified as `wrangler deploy`
 *   ships it, with the inputs that take the most room.
 *
 * Local workerd is not the production platform (no network between the
 * Worker and the object, one process for all): the figures compare the two
 * drivers on this machine and say nothing of Cloudflare's latency.
 *
 *   ./node_modules/.bin/deno run -A bench/cloudflare_bench.ts [--runs 3] [--ms 2000]
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { createClient } from "../src/client/mod.ts";
import { registry } from "../examples/actors.ts";
import { bundleWorker, startWorkerd, WORKER_BUNDLE_ARGS } from "../tests/cloudflare/workerd.ts";
import { median, numberArg, rate } from "./_bench_util.ts";

const RUNS = numberArg("runs", 3);
const MS = numberArg("ms", 2000);
const ROOT = new URL("../", import.meta.url).pathname;

async function httpActions(url: string): Promise<number> {
  const headers = {
    "x-sy-query": JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["bench"] } }),
    "content-type": "application/json",
  };
  let done = 0;
  const end = performance.now() + MS;
  const start = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (performance.now() < end) {
      const res = await fetch(`${url}/actors/actions/increment`, {
        method: "POST",
        headers,
        body: '{"args":[1]}',
      });
      if (!res.ok) throw new Error(`Action failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      done++;
    }
  }));
  return done / ((performance.now() - start) / 1000);
}

async function wsActions(url: string): Promise<number> {
  const client = createClient<typeof registry>(url);
  const conn = client.counter.getOrCreate(["bench-ws"]).connect();
  await conn.ready();
  let done = 0;
  const end = performance.now() + MS;
  const start = performance.now();
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (performance.now() < end) {
      await conn.increment(1);
      done++;
    }
  }));
  const perSecond = done / ((performance.now() - start) / 1000);
  await client.dispose();
  return perSecond;
}

async function bundleSize(): Promise<void> {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/worker.js`;
  const meta = `${dir}/meta.json`;
  const { success } = await new Deno.Command(`${ROOT}node_modules/.bin/esbuild`, {
    args: [
      "examples/worker.ts",
      ...WORKER_BUNDLE_ARGS,
      "--minify",
      `--outfile=${out}`,
      `--metafile=${meta}`,
    ],
    cwd: ROOT,
    stderr: "null",
  }).output();
  if (!success) throw new Error("esbuild failed");
  const bytes = await Deno.readFile(out);
  const gz = await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  const { outputs } = JSON.parse(await Deno.readTextFile(meta));
  const inputs = Object.values(outputs)[0] as { inputs: Record<string, { bytesInOutput: number }> };
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs.inputs)) {
    const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    const group = m ? m[1]! : path.split("/").slice(0, 2).join("/");
    byPackage.set(group, (byPackage.get(group) ?? 0) + bytesInOutput);
  }
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  console.log(
    `bundle of examples/worker.ts: ${kb(bytes.length)} minified, ${kb(gz.byteLength)} gzip`,
  );
  for (const [group, n] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6)) {
    console.log(`  ${group.padEnd(28)} ${kb(n).padStart(7)}`);
  }
  await Deno.remove(dir, { recursive: true });
}

const memoryServer = registry.createServer({ driver: memoryDriver(), logger: () => {} });
const http = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  (req) => memoryServer.fetch(req),
);
const memoryUrl = `http://127.0.0.1:${http.addr.port}`;
const workerd = await startWorkerd(await bundleWorker("examples/worker.ts"));

const results: Record<string, number[]> = {};
const record = (name: string, v: number) => (results[name] ??= []).push(v);
await httpActions(workerd.url); // warm up both
await httpActions(memoryUrl);
for (let run = 0; run < RUNS; run++) {
  record("HTTP actions, memory driver", await httpActions(memoryUrl));
  record("HTTP actions, cloudflare (workerd)", await httpActions(workerd.url));
  record("WebSocket actions, memory driver", await wsActions(memoryUrl));
  record("WebSocket actions, cloudflare (workerd)", await wsActions(workerd.url));
}
for (const [name, xs] of Object.entries(results)) {
  console.log(`${name.padEnd(42)} ${rate(median(xs)).padStart(10)}  (median of ${xs.length})`);
}
await bundleSize();

await workerd.dispose();
await http.shutdown();
await memoryServer.shutdown();
