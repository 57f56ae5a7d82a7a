/**
 * Many actors: 10,000 `getOrCreate` + one `increment` each through the
 * inline client, all started at once (`Promise.all`) and one after the
 * other, then the heap per idle actor after GC. Baseline: 10,000 plain
 * objects `{ count }` in a `Map`, incremented by a direct call.
 *
 *   ./node_modules/.bin/deno run -A --v8-flags=--expose-gc bench/actor_many_bench.ts [--runs 5] [--actors 10000]
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { incrementDirect, median, numberArg, registry } from "./_bench_util.ts";

const RUNS = numberArg("runs", 5);
const ACTORS = numberArg("actors", 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("Run with --v8-flags=--expose-gc");

function heap(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

async function once(parallel: boolean): Promise<{ seconds: number; bytesPerActor: number }> {
  const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
  await server.client.counter.getOrCreate(["warm"]).increment(1);
  const before = heap();
  const start = performance.now();
  if (parallel) {
    await Promise.all(
      Array.from(
        { length: ACTORS },
        (_, i) => server.client.counter.getOrCreate([`a${i}`]).increment(1),
      ),
    );
  } else {
    for (let i = 0; i < ACTORS; i++) {
      await server.client.counter.getOrCreate([`a${i}`]).increment(1);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 50)); // let scheduled state saves run
  const bytesPerActor = (heap() - before) / ACTORS;
  await server.shutdown();
  return { seconds, bytesPerActor };
}

function baseline(): { seconds: number; bytesPerActor: number } {
  const before = heap();
  const start = performance.now();
  const map = new Map<string, { count: number }>();
  for (let i = 0; i < ACTORS; i++) {
    const key = `a${i}`;
    let s = map.get(key);
    if (!s) map.set(key, s = { count: 0 });
    incrementDirect(s, 1);
  }
  const seconds = (performance.now() - start) / 1000;
  const bytesPerActor = (heap() - before) / ACTORS;
  if (map.size !== ACTORS) throw new Error("lost entries");
  return { seconds, bytesPerActor };
}

const rows: Record<string, { seconds: number[]; bytes: number[] }> = {};
const record = (name: string, r: { seconds: number; bytesPerActor: number }) => {
  (rows[name] ??= { seconds: [], bytes: [] }).seconds.push(r.seconds);
  rows[name].bytes.push(r.bytesPerActor);
};
await once(true); // warm-up
for (let run = 0; run < RUNS; run++) {
  record("plain Map + direct call (baseline)", baseline());
  record("inline client, all at once", await once(true));
  record("inline client, one after the other", await once(false));
}
console.log(`${ACTORS} actors, getOrCreate + one increment each`);
console.log(`| case | median time | heap per actor (median) | runs (s) |`);
console.log(`|---|---:|---:|---|`);
for (const [name, r] of Object.entries(rows)) {
  console.log(
    `| ${name} | ${median(r.seconds).toFixed(3)} s | ${(median(r.bytes) / 1024).toFixed(2)} KB | ` +
      `${r.seconds.map((s) => s.toFixed(3)).join(", ")} |`,
  );
}
