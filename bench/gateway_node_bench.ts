/**
 * On Node 24: RuntimeRouter served by @hono/node-server against
 * @fastify/http-proxy, same upstream, same run, several interleaved rounds.
 *
 *   ./node_modules/.bin/node bench/gateway_node_bench.ts [rounds] [seconds] [--paired] [variants]
 *
 * Sequential (default): the targets are loaded one after the other, the
 * order rotating each round; ratios are medians of the per-round ratios to
 * @fastify/http-proxy. `--paired` also loads @fastify/http-proxy and each
 * router at the same time (64 connections each), so both see the same
 * background load. `variants` (comma-separated, default "auto"): the
 * router's transport, "auto" (the default choice: nodeTransport on Node),
 * "node" or "fetch"; or "dir=<path>" for the gateway of another checkout.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  cpuSeconds,
  type LoadResult,
  median,
  parseAutocannon,
  type Sample,
  type Target,
} from "./gateway_load.ts";

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const rounds = Number(positional[0] ?? 3);
const seconds = Number(positional[1] ?? 5);
const variants = (positional[2] ?? "auto").split(",");
const paired = process.argv.includes("--paired");
const node = process.execPath;

function start(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(node, ["bench/gateway_node_servers.ts", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
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

const read = (p: string) => readFileSync(p, "utf8");

/** Loads the targets at the same time; CPU per request of each process. */
async function measure(ts: Target[], duration: number): Promise<Sample[]> {
  const c0 = ts.map((t) => cpuSeconds(read, t.pid));
  const res = await Promise.all(ts.map((t) => load(t.url, duration)));
  return ts.map((t, i) => {
    const r = res[i]!;
    const cpu = cpuSeconds(read, t.pid) - c0[i]!;
    if (r.errors || r.non2xx) console.error(`${t.name}: ${r.errors} errors, ${r.non2xx} non-2xx`);
    return { rps: r.rps, p99: r.p99, cpuUs: (cpu / r.requests) * 1e6 };
  });
}

const upstream = await start(["upstream"]);
const fastify = await start(["fastify", upstream.url]);
const routers = [];
for (const v of variants) {
  const env: Record<string, string> = v.startsWith("dir=")
    ? { GW_ROUTER_DIR: v.slice(4) }
    : { GW_TRANSPORT: v };
  routers.push({ v, server: await start(["router", upstream.url], env) });
}
const path = "/api/items?x=1";
const base: Target = {
  name: "@fastify/http-proxy",
  url: fastify.url + path,
  pid: fastify.child.pid!,
};
const targets: Target[] = [
  { name: "direct upstream", url: upstream.url + path, pid: upstream.child.pid! },
  base,
  ...routers.map(({ v, server }) => ({
    name: `RuntimeRouter (${v.startsWith("dir=") ? v : `${v} transport`})`,
    url: server.url + path,
    pid: server.child.pid!,
  })),
];
const seq = new Map<string, Sample[]>();
const pairs = new Map<string, { base: Sample; router: Sample }[]>();
try {
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + r) % targets.length]!;
      await load(t.url, 1);
      const [s] = await measure([t], seconds);
      seq.set(t.name, [...(seq.get(t.name) ?? []), s!]);
      console.error(
        `round ${r + 1} ${t.name}: ${s!.rps.toFixed(0)} req/s, p99 ${s!.p99} ms, ` +
          `${s!.cpuUs.toFixed(1)} µs CPU/req`,
      );
    }
    if (!paired) continue;
    for (const t of targets.slice(2)) {
      await measure([base, t], 1);
      const [b, s] = await measure([base, t], seconds);
      pairs.set(t.name, [...(pairs.get(t.name) ?? []), { base: b!, router: s! }]);
      console.error(
        `round ${r + 1} paired: fastify ${b!.rps.toFixed(0)} req/s ${b!.cpuUs.toFixed(1)} µs, ` +
          `${t.name} ${s!.rps.toFixed(0)} req/s ${s!.cpuUs.toFixed(1)} µs`,
      );
    }
  }
} finally {
  for (const s of [...routers.map((r) => r.server), fastify, upstream]) s.child.kill("SIGTERM");
}

const f = (x: number, d = 2) => x.toFixed(d);
const range = (xs: number[]) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const baseSeq = seq.get(base.name)!;
console.log(
  `\nNode ${process.version}, sequential: medians over ${rounds} rounds of ${seconds} s, ` +
    `64 connections, 1 KB JSON`,
);
console.log(
  "| target | req/s | p99 ms | CPU µs/req (that process) | req/s vs fastify (median, range) | CPU vs fastify (median, range) |",
);
console.log("|---|---|---|---|---|---|");
for (const [name, ss] of seq) {
  const rps = ss.map((s, i) => s.rps / baseSeq[i]!.rps);
  const cpu = ss.map((s, i) => s.cpuUs / baseSeq[i]!.cpuUs);
  const vs = (xs: number[]) =>
    name === base.name ? "1.00×" : `**${f(median(xs))}×** (${range(xs)})`;
  console.log(
    `| ${name} | ${f(median(ss.map((s) => s.rps)), 0)} | ${median(ss.map((s) => s.p99))} | ` +
      `${f(median(ss.map((s) => s.cpuUs)), 1)} | ${vs(rps)} | ` +
      `${name === "direct upstream" ? "–" : vs(cpu)} |`,
  );
}
if (paired) {
  console.log(`\npaired (fastify and router loaded together): ${rounds} rounds of ${seconds} s`);
  console.log("| target | req/s vs fastify (median, range) | CPU vs fastify (median, range) |");
  console.log("|---|---|---|");
  for (const [name, ps] of pairs) {
    const rps = ps.map((p) => p.router.rps / p.base.rps);
    const cpu = ps.map((p) => p.router.cpuUs / p.base.cpuUs);
    console.log(
      `| ${name} | **${f(median(rps))}×** (${range(rps)}) | **${f(median(cpu))}×** (${
        range(cpu)
      }) |`,
    );
  }
}
