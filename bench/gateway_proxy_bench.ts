/**
 * Proxying through the full RuntimeRouter stack on Deno against a bare
 * `Deno.serve` + `fetch` forwarder and a direct hit of the upstream, in the
 * same run: 64 connections, 1 KB JSON upstream, several interleaved rounds.
 *
 *   ./node_modules/.bin/deno run -A bench/gateway_proxy_bench.ts [rounds] [seconds] [--paired [--rate=N]] [variants]
 *
 * Sequential (default): the targets are loaded one after the other, the order
 * rotating each round; "CPU vs bare" is the median over rounds of the
 * router's CPU/request divided by the bare forwarder's in the same round.
 *
 * `--paired`: additionally, each round loads the bare forwarder and the router
 * at the same time (one autocannon each, 64 connections each), so both see the
 * same background load on a shared machine; the ratio of that pair is taken.
 * `--rate=N` makes those paired loads open-loop at N requests/s each (same
 * work rate for both, so neither gains from batching more).
 *
 * `--paired-only` skips the sequential part.
 *
 * `variants` (comma-separated) starts more router processes with
 * `GW_VARIANT=<v>` (see bench/gateway_deno_servers.ts).
 */
import {
  cpuSeconds,
  type LoadResult,
  median,
  parseAutocannon,
  type Sample,
  type Target,
} from "./gateway_load.ts";

const positional = Deno.args.filter((a) => !a.startsWith("--"));
const rounds = Number(positional[0] ?? 3);
const seconds = Number(positional[1] ?? 5);
const variants = (positional[2] ?? "").split(",").filter((v) => v !== "");
const paired = Deno.args.includes("--paired");
const sequential = !Deno.args.includes("--paired-only");
const rateArg = Deno.args.find((a) => a.startsWith("--rate="));
const rate = rateArg === undefined ? 0 : Number(rateArg.slice(7));
const deno = "./node_modules/.bin/deno";
const node = "./node_modules/.bin/node";

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function start(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = new Deno.Command(deno, {
    args: ["run", "-A", "bench/gateway_deno_servers.ts", ...args],
    stdout: "piped",
    stderr: "inherit",
    env,
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

async function load(url: string, duration: number, rps = 0): Promise<LoadResult> {
  const fixed = rps > 0 ? ["-R", String(rps)] : [];
  const out = await new Deno.Command(node, {
    args: [
      "node_modules/autocannon/autocannon.js",
      "-c",
      "64",
      ...fixed,
      "-d",
      String(duration),
      "-j",
      url,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return parseAutocannon(new TextDecoder().decode(out.stdout));
}

/** Loads the targets at the same time for `duration` s; CPU per request of each process. */
async function measure(ts: Target[], duration: number, rps = 0): Promise<Sample[]> {
  const c0 = ts.map((t) => cpuSeconds(Deno.readTextFileSync, t.pid));
  const res = await Promise.all(ts.map((t) => load(t.url, duration, rps)));
  return ts.map((t, i) => {
    const r = res[i]!;
    const cpu = cpuSeconds(Deno.readTextFileSync, t.pid) - c0[i]!;
    if (r.errors || r.non2xx) console.error(`${t.name}: ${r.errors} errors, ${r.non2xx} non-2xx`);
    return { rps: r.rps, p99: r.p99, cpuUs: (cpu / r.requests) * 1e6 };
  });
}

const upstream = await start(["upstream"]);
const bare = await start(["bare", upstream.url]);
const routers: { name: string; server: Server }[] = [
  { name: "RuntimeRouter", server: await start(["router", upstream.url]) },
];
for (const v of variants) {
  // "dir=<path>": the gateway of another checkout; anything else: GW_VARIANT.
  const env: Record<string, string> = v.startsWith("dir=")
    ? { GW_ROUTER_DIR: v.slice(4) }
    : { GW_VARIANT: v };
  routers.push({ name: `RuntimeRouter ${v}`, server: await start(["router", upstream.url], env) });
}
const path = "/api/items?x=1";
const bareTarget = { name: "bare Deno.serve + fetch", url: bare.url + path, pid: bare.pid };
const targets: Target[] = [
  { name: "direct upstream", url: upstream.url + path, pid: upstream.pid },
  bareTarget,
  ...routers.map((r) => ({ name: r.name, url: r.server.url + path, pid: r.server.pid })),
];
const seq = new Map<string, Sample[]>();
const pairs = new Map<string, { ratio: number; bare: Sample; router: Sample }[]>();
try {
  for (let r = 0; r < rounds; r++) {
    const round = new Map<string, Sample>();
    // Rotate the order so no target always runs first.
    for (let k = 0; sequential && k < targets.length; k++) {
      const t = targets[(k + r) % targets.length]!;
      await load(t.url, 1); // warm-up
      const [s] = await measure([t], seconds);
      round.set(t.name, s!);
      seq.set(t.name, [...(seq.get(t.name) ?? []), s!]);
      console.error(
        `round ${r + 1} ${t.name}: ${s!.rps.toFixed(0)} req/s, p99 ${s!.p99} ms, ` +
          `${s!.cpuUs.toFixed(1)} µs CPU/req (process only)`,
      );
    }
    if (!paired) continue;
    for (const t of targets.slice(2)) {
      await measure([bareTarget, t], 1, rate); // warm-up
      const [b, s] = await measure([bareTarget, t], seconds, rate);
      const ratio = s!.cpuUs / b!.cpuUs;
      pairs.set(t.name, [...(pairs.get(t.name) ?? []), { ratio, bare: b!, router: s! }]);
      console.error(
        `round ${r + 1} paired: bare ${b!.rps.toFixed(0)} req/s ${b!.cpuUs.toFixed(1)} µs, ` +
          `${t.name} ${s!.rps.toFixed(0)} req/s ${s!.cpuUs.toFixed(1)} µs → ${ratio.toFixed(3)}×`,
      );
    }
  }
} finally {
  for (const r of routers) await r.server.stop();
  await bare.stop();
  await upstream.stop();
}

const f = (x: number, d = 2) => x.toFixed(d);
const spread = (xs: number[]) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const bareSeq = seq.get(bareTarget.name) ?? [];
const directRps = median(seq.get("direct upstream")?.map((s) => s.rps) ?? [0]);
if (sequential) {
  console.log(
    `\nsequential: medians over ${rounds} rounds of ${seconds} s, 64 connections, 1 KB JSON`,
  );
  console.log(
    "| target | req/s | p99 ms | CPU µs/req (that process) | CPU vs bare (per-round ratios: median, range) | req/s vs direct |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [name, ss] of seq) {
    const ratios = ss.map((s, i) => s.cpuUs / bareSeq[i]!.cpuUs);
    const vsBare = name === "direct upstream"
      ? "–"
      : name === bareTarget.name
      ? "1.00×"
      : `**${f(median(ratios))}×** (${spread(ratios)})`;
    console.log(
      `| ${name} | ${f(median(ss.map((s) => s.rps)), 0)} | ${median(ss.map((s) => s.p99))} | ` +
        `${f(median(ss.map((s) => s.cpuUs)), 1)} | ${vsBare} | ` +
        `${f(median(ss.map((s) => s.rps)) / directRps)}× |`,
    );
  }
}
if (paired) {
  console.log(
    `\npaired (bare and router loaded together${
      rate > 0 ? `, ${rate} req/s each` : ""
    }): ${rounds} rounds of ${seconds} s`,
  );
  console.log("| target | CPU µs/req bare / router (medians) | CPU vs bare (median, range) |");
  console.log("|---|---|---|");
  for (const [name, ps] of pairs) {
    const ratios = ps.map((p) => p.ratio);
    console.log(
      `| ${name} | ${f(median(ps.map((p) => p.bare.cpuUs)), 1)} / ` +
        `${f(median(ps.map((p) => p.router.cpuUs)), 1)} | **${f(median(ratios))}×** (${
          spread(ratios)
        }) |`,
    );
  }
}
