/**
 * Server ready time: a fresh `deno run` process imports the library,
 * creates a server, serves it, and answers its first request (an action
 * through the manager router, which creates the actor). Three clocks:
 * this process, from `spawn()` to the first 200 (includes Deno's own boot);
 * the child, from its time origin (process start) to the first answer; the
 * child, from before the dynamic import to the first answer. Baseline: the
 * same child with `--bare` (a `Deno.serve` handler, no library).
 *
 *   ./node_modules/.bin/deno run -A bench/startup_bench.ts [--runs 7]
 *
 * The first (warm-up) spawn fills Deno's transpile cache and is not counted.
 *
 * @module
 */
import { median, numberArg } from "./_bench_util.ts";

const RUNS = numberArg("runs", 7);
const CHILD = new URL("./startup_child.ts", import.meta.url).pathname;
const QUERY = JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["s"] } });

async function once(bare: boolean): Promise<[number, number, number]> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, ...(bare ? ["--bare"] : [])],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let port: number | undefined;
  let spawnToAnswer = 0;
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    buf += value;
    const p = buf.match(/port (\d+)\n/);
    if (p && port === undefined) {
      port = Number(p[1]);
      const res = await fetch(`http://127.0.0.1:${port}/actors/actions/increment`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-sy-query": QUERY },
        body: JSON.stringify({ args: [1] }),
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`First answer was ${res.status}`);
      spawnToAnswer = performance.now() - start;
    }
  }
  await child.status;
  const t = buf.match(/times ([\d.]+) ([\d.]+)/);
  if (!t) throw new Error(`Child printed no times: ${buf}`);
  return [spawnToAnswer, Number(t[1]), Number(t[2])];
}

await once(true);
await once(false);
const rows: Record<string, number[][]> = { bare: [[], [], []], switchyard: [[], [], []] };
for (let run = 0; run < RUNS; run++) {
  for (const name of ["bare", "switchyard"]) {
    const r = await once(name === "bare");
    r.forEach((v, i) => rows[name]![i]!.push(v));
  }
}
console.log(
  `| child | spawn → first 200 (parent) | process start → first answer (child) | before import → first answer (child) |`,
);
console.log(`|---|---:|---:|---:|`);
for (const [name, cols] of Object.entries(rows)) {
  console.log(`| ${name} | ${cols.map((c) => `${median(c).toFixed(1)} ms`).join(" | ")} |`);
}
