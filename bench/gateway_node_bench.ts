/**
 * On Node 24: RuntimeRouter served by @hono/node-server against
 * @fastify/http-proxy, same upstream, same run, several interleaved rounds.
 *
 *   ./node_modules/.bin/node bench/gateway_node_bench.ts [rounds] [seconds]
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpuSeconds, type LoadResult, median, parseAutocannon } from "./gateway_load.ts";

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const node = process.execPath;

function start(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(node, ["bench/gateway_node_servers.ts", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += d;
      const m = /PORT (\d+)/.exec(buf);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, child });
    });
    child.on("exit", () => reject(new Error(`Server "${args[0]}" exited before listening`)));
  });
}

function load(url: string, duration: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      ["node_modules/autocannon/autocannon.js", "-c", "64", "-d", String(duration), "-j", url],
      { maxBuffer: 1 << 24 },
      (err, stdout) => (err ? reject(err) : resolve(parseAutocannon(stdout))),
    );
  });
}

const upstream = await start(["upstream"]);
const router = await start(["router", upstream.url]);
const fastify = await start(["fastify", upstream.url]);
const targets = [
  { name: "direct upstream", url: `${upstream.url}/api/items?x=1`, pid: upstream.child.pid! },
  { name: "@fastify/http-proxy", url: `${fastify.url}/api/items?x=1`, pid: fastify.child.pid! },
  {
    name: "RuntimeRouter (@hono/node-server)",
    url: `${router.url}/api/items?x=1`,
    pid: router.child.pid!,
  },
];
const read = (p: string) => readFileSync(p, "utf8");
const results = new Map<string, { rps: number[]; p99: number[]; cpuUs: number[] }>();
try {
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + r) % targets.length]!;
      await load(t.url, 1);
      const c0 = cpuSeconds(read, t.pid);
      const res = await load(t.url, seconds);
      const cpu = cpuSeconds(read, t.pid) - c0;
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
          `${((cpu / res.requests) * 1e6).toFixed(1)} µs CPU/req`,
      );
    }
  }
} finally {
  for (const s of [router, fastify, upstream]) s.child.kill("SIGTERM");
}
const base = results.get("@fastify/http-proxy")!;
console.log(
  `\nNode ${process.version}, medians over ${rounds} rounds of ${seconds} s, 64 connections, 1 KB JSON`,
);
console.log(
  "| target | req/s | p99 ms | CPU µs/req (that process) | req/s vs fastify | CPU vs fastify |",
);
console.log("|---|---|---|---|---|---|");
for (const [name, e] of results) {
  console.log(
    `| ${name} | ${median(e.rps).toFixed(0)} | ${median(e.p99)} | ${
      median(e.cpuUs).toFixed(1)
    } | ` +
      `${(median(e.rps) / median(base.rps)).toFixed(2)}× | ` +
      `${
        name === "direct upstream" ? "-" : (median(e.cpuUs) / median(base.cpuUs)).toFixed(2) + "×"
      } |`,
  );
}
