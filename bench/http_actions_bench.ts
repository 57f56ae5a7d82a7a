/**
 * HTTP actions through the manager router with 64 keep-alive connections,
 * next to a bare `Deno.serve` handler returning the same JSON, measured in
 * the same run. The load generator runs as a separate process: `wrk` (apt)
 * when installed, else autocannon from node_modules under Node.
 *
 *   ./node_modules/.bin/deno run -A bench/http_actions_bench.ts [--runs 5] [--seconds 4] [--autocannon]
 *
 * Both servers live in this process (one listening at a time is loaded);
 * the load generator gets the other core. Besides requests/s it reports the
 * CPU time this process spent per request (from /proc/self/stat), which is
 * steadier than requests/s on a shared machine.
 *
 * @module
 */
import { memoryDriver } from "../drivers/memory.ts";
import { listen, median, numberArg, rate, registry } from "./_bench_util.ts";
import { cpuSeconds } from "./gateway_load.ts";

const RUNS = numberArg("runs", 5);
const SECONDS = numberArg("seconds", 4);
const CONNECTIONS = 64;
const QUERY = JSON.stringify({ getOrCreateForKey: { name: "counter", key: ["http"] } });
const BODY = JSON.stringify({ args: [1] });
const useWrk = !Deno.args.includes("--autocannon") &&
  (await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then(() => true, () => false));

/** Requests/s and requests served. */
type Load = { rps: number; requests: number };

async function wrk(url: string): Promise<Load> {
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
  return {
    rps: Number(text.match(/Requests\/sec:\s+([\d.]+)/)![1]),
    requests: Number(text.match(/(\d+) requests in/)![1]),
  };
}

async function autocannon(url: string): Promise<Load> {
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
  return { rps: r.requests.total / SECONDS, requests: r.requests.total };
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
const cpuUs = new Map<string, number[]>(targets.map(([name]) => [name, []]));
const cpu = () => cpuSeconds(Deno.readTextFileSync, Deno.pid);
for (const [, url] of targets) await load(url); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const [name, url] of targets) {
    const c0 = cpu();
    const r = await load(url);
    cpuUs.get(name)!.push((cpu() - c0) / r.requests * 1e6);
    results.get(name)!.push(r.rps);
  }
}
console.log(
  `load generator: ${useWrk ? "wrk -t1" : "autocannon"}, ${CONNECTIONS} connections, ${SECONDS} s`,
);
console.log(`| target | median | runs | server CPU per request (median) |`);
console.log(`|---|---:|---|---:|`);
for (const [name] of targets) {
  const xs = results.get(name)!;
  const us = median(cpuUs.get(name)!);
  console.log(
    `| ${name} | ${rate(median(xs))} | ${xs.map(rate).join(", ")} | ${us.toFixed(1)} µs |`,
  );
}
const m = (i: number) => median(results.get(targets[i]![0])!);
console.log(
  `ratio switchyard / bare: ${(m(2) / m(0)).toFixed(2)}x; / bare reading the body: ${
    (m(2) / m(1)).toFixed(2)
  }x`,
);
const c = (i: number) => median(cpuUs.get(targets[i]![0])!);
console.log(
  `CPU per request, bare / switchyard (the throughput ratio a server-bound run would show): ${
    (c(0) / c(2)).toFixed(2)
  }x; bare reading the body / switchyard: ${(c(1) / c(2)).toFixed(2)}x`,
);
await Promise.all([sy.close(), bare.close(), bareBody.close()]);
await server.shutdown();
