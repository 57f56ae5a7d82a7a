/**
 * HTTP actions through the manager router with 64 keep-alive connections,
 * next to a bare `Deno.serve` handler returning the same JSON, measured in
 * the same run. The load generator runs as a separate process: `wrk` (apt)
 * when installed, else autocannon from node_modules under Node.
 *
 *   ./node_modules/.bin/deno run -A bench/http_actions_bench.ts [--runs 5] [--seconds 4] [--autocannon]
 *
 * Both servers live in this process (one listening at a time is loaded);
 * the load generator gets the other core.
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { listen, median, numberArg, rate, registry } from "./_bench_util.ts";

const RUNS = numberArg("runs", 5);
const SECONDS = numberArg("seconds", 4);
const CONNECTIONS = 64;
const QUERY = JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["http"] } });
const BODY = JSON.stringify({ args: [1] });
const useWrk = !Deno.args.includes("--autocannon") &&
  (await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then(() => true, () => false));

async function wrk(url: string): Promise<number> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(
    script,
    `wrk.method = "POST"\nwrk.body = '${BODY}'\n` +
      `wrk.headers["content-type"] = "application/json"\nwrk.headers["x-sy-query"] = '${QUERY}'\n`,
  );
  const out = await new Deno.Command("wrk", {
    args: ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "-s", script, url],
  }).output();
  await Deno.remove(script);
  const text = new TextDecoder().decode(out.stdout);
  if (/Non-2xx/.test(text)) throw new Error(`Errors in the run:\n${text}`);
  return Number(text.match(/Requests\/sec:\s+([\d.]+)/)![1]);
}

async function autocannon(url: string): Promise<number> {
  const out = await new Deno.Command("./node_modules/.bin/node", {
    args: [
      "node_modules/autocannon/autocannon.js",
      "-c",
      String(CONNECTIONS),
      "-d",
      String(SECONDS),
      "-m",
      "POST",
      "-H",
      "content-type=application/json",
      "-H",
      `x-sy-query=${QUERY}`,
      "-b",
      BODY,
      "-j",
      url,
    ],
    stderr: "null",
  }).output();
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  if (r.non2xx || r.errors) {
    throw new Error(`Errors in the run: ${r.non2xx} non-2xx, ${r.errors} errors`);
  }
  return r.requests.total / SECONDS;
}

const load = useWrk ? wrk : autocannon;
const server = registry.createServer({ driver: memoryDriver(), logger: () => {} });
const sy = await listen(server.fetch);
let n = 0;
const bare = await listen(() => Response.json({ output: ++n }));
const bareBody = await listen(async (req) => {
  const { args } = await req.json();
  return Response.json({ output: n += args[0] });
});
const targets: Array<[string, string]> = [
  ["bare Deno.serve", bare.url],
  ["bare Deno.serve, reads the JSON body", bareBody.url],
  ["switchyard POST /actors/actions/increment", `${sy.url}/actors/actions/increment`],
];
const results = new Map<string, number[]>(targets.map(([name]) => [name, []]));
for (const [, url] of targets) await load(url); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const [name, url] of targets) results.get(name)!.push(await load(url));
}
console.log(
  `load generator: ${useWrk ? "wrk -t1" : "autocannon"}, ${CONNECTIONS} connections, ${SECONDS} s`,
);
console.log(`| target | median | runs |`);
console.log(`|---|---:|---|`);
for (const [name] of targets) {
  const xs = results.get(name)!;
  console.log(`| ${name} | ${rate(median(xs))} | ${xs.map(rate).join(", ")} |`);
}
const m = (i: number) => median(results.get(targets[i]![0])!);
console.log(
  `ratio switchyard / bare: ${(m(2) / m(0)).toFixed(2)}x; / bare reading the body: ${
    (m(2) / m(1)).toFixed(2)
  }x`,
);
await Promise.all([sy.close(), bare.close(), bareBody.close()]);
await server.shutdown();
