/**
 * Proxying through the full RuntimeRouter stack on Deno against a bare
 * `Deno.serve` + `fetch` forwarder and a direct hit of the upstream, in the
 * same run: 64 connections, 1 KB JSON upstream, several interleaved rounds.
 *
 *   ./node_modules/.bin/deno run -A bench/gateway_proxy_bench.ts [rounds] [seconds]
 */
import { cpuSeconds, type LoadResult, median, parseAutocannon } from "./gateway_load.ts";

const rounds = Number(Deno.args[0] ?? 3);
const seconds = Number(Deno.args[1] ?? 5);
const deno = "./node_modules/.bin/deno";
const node = "./node_modules/.bin/node";

async function start(args: string[]): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = new Deno.Command(deno, {
    args: ["run", "-A", "bench/gateway_deno_servers.ts", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!/PORT (\d+)/.test(buf)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Server "${args[0]}" exited before listening`);
    buf += value;
  }
  const port = /PORT (\d+)/.exec(buf)![1];
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

async function load(url: string, duration: number): Promise<LoadResult> {
  const out = await new Deno.Command(node, {
    args: ["node_modules/autocannon/autocannon.js", "-c", "64", "-d", String(duration), "-j", url],
    stdout: "piped",
    stderr: "null",
  }).output();
  return parseAutocannon(new TextDecoder().decode(out.stdout));
}

const upstream = await start(["upstream"]);
const bare = await start(["bare", upstream.url]);
const router = await start(["router", upstream.url]);
const targets = [
  { name: "direct upstream", url: `${upstream.url}/api/items?x=1`, pid: upstream.pid },
  { name: "bare Deno.serve + fetch", url: `${bare.url}/api/items?x=1`, pid: bare.pid },
  { name: "RuntimeRouter", url: `${router.url}/api/items?x=1`, pid: router.pid },
];
const results = new Map<string, { rps: number[]; p99: number[]; cpuUs: number[] }>();
try {
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so no target always runs first.
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + r) % targets.length]!;
      await load(t.url, 1); // warm-up
      const c0 = cpuSeconds(Deno.readTextFileSync, t.pid);
      const res = await load(t.url, seconds);
      const cpu = cpuSeconds(Deno.readTextFileSync, t.pid) - c0;
      if (res.errors || res.non2xx) {
        console.error(`${t.name}: ${res.errors} errors, ${res.non2xx} non-2xx`);
      }
      const e = results.get(t.name) ?? { rps: [], p99: [], cpuUs: [] };
      e.rps.push(res.rps);
      e.p99.push(res.p99);
      e.cpuUs.push((cpu / res.requests) * 1e6);
      results.set(t.name, e);
      console.error(
        `round ${r + 1} ${t.name}: ${res.rps.toFixed(0)} req/s, p99 ${res.p99} ms, ` +
          `${((cpu / res.requests) * 1e6).toFixed(1)} µs CPU/req (process only)`,
      );
    }
  }
} finally {
  await router.stop();
  await bare.stop();
  await upstream.stop();
}
const bareCpu = median(results.get("bare Deno.serve + fetch")!.cpuUs);
const directRps = median(results.get("direct upstream")!.rps);
console.log(`\nmedians over ${rounds} rounds of ${seconds} s, 64 connections, 1 KB JSON`);
console.log(
  "| target | req/s | p99 ms | CPU µs/req (that process) | CPU vs bare | req/s vs direct |",
);
console.log("|---|---|---|---|---|---|");
for (const [name, e] of results) {
  const cpu = median(e.cpuUs);
  console.log(
    `| ${name} | ${median(e.rps).toFixed(0)} | ${median(e.p99)} | ${cpu.toFixed(1)} | ` +
      `${name === "direct upstream" ? "-" : (cpu / bareCpu).toFixed(2) + "×"} | ` +
      `${(median(e.rps) / directRps).toFixed(2)}× |`,
  );
}
