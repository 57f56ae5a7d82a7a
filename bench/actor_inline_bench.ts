/**
 * Inline client throughput: `increment` on one actor, sequential and with 64
 * concurrent callers, next to two baselines measured in the same run: the
 * same function called directly (awaited, as an async call), and the inline
 * Request path (the memory driver wrapped so that no actor counts as hosted
 * here, so every call travels as a `Request` to the actor router).
 *
 *   ./node_modules/.bin/deno run -A bench/actor_inline_bench.ts [--runs 5] [--ms 700]
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { remoteOnly } from "../tests/_remote_only.ts";
import { incrementDirect, median, numberArg, rate, registry } from "./_bench_util.ts";

const RUNS = numberArg("runs", 5);
const MS = numberArg("ms", 700);
const CALLERS = 64;

type Call = () => Promise<unknown>;

/** Calls per second of `call`, by `callers` loops for about `ms`. */
async function measure(call: Call, callers: number): Promise<number> {
  let count = 0;
  const end = performance.now() + MS;
  const start = performance.now();
  await Promise.all(Array.from({ length: callers }, async () => {
    while (performance.now() < end) {
      // 64 calls between clock reads keep the clock out of the figure.
      for (let i = 0; i < 64; i++) await call();
      count += 64;
    }
  }));
  return count / ((performance.now() - start) / 1000);
}

const fast = registry.createServer({ driver: memoryDriver(), logger: () => {} });
const slow = registry.createServer({ driver: remoteOnly(memoryDriver()), logger: () => {} });
const fastHandle = fast.client.counter.getOrCreate(["inline"]);
const slowHandle = slow.client.counter.getOrCreate(["inline"]);
await fastHandle.increment(1);
await slowHandle.increment(1);
const state = { count: 0 };
// An async function, as an action call is one.
// deno-lint-ignore require-await
const direct: Call = async () => incrementDirect(state, 1);

const cases: Array<[string, Call, number]> = [
  ["direct call, sequential", direct, 1],
  ["inline, hosted here, sequential", () => fastHandle.increment(1), 1],
  ["inline Request path, sequential", () => slowHandle.increment(1), 1],
  ["direct call, 64 callers", direct, CALLERS],
  ["inline, hosted here, 64 callers", () => fastHandle.increment(1), CALLERS],
  ["inline Request path, 64 callers", () => slowHandle.increment(1), CALLERS],
];
const results = new Map<string, number[]>(cases.map(([n]) => [n, []]));
for (const [, call, callers] of cases) await measure(call, callers); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const [name, call, callers] of cases) results.get(name)!.push(await measure(call, callers));
}
const med = (n: string) => median(results.get(n)!);
console.log(`| case | median | runs |`);
console.log(`|---|---:|---|`);
for (const [name] of cases) {
  console.log(`| ${name} | ${rate(med(name))} | ${results.get(name)!.map(rate).join(", ")} |`);
}
for (const mode of ["sequential", "64 callers"]) {
  const f = med(`inline, hosted here, ${mode}`);
  console.log(
    `${mode}: inline/direct ${(f / med(`direct call, ${mode}`)).toFixed(3)}x, ` +
      `inline/Request path ${(f / med(`inline Request path, ${mode}`)).toFixed(1)}x`,
  );
}
await fast.shutdown();
await slow.shutdown();
