/**
 * The kv driver on a real file (a fresh temporary file per run), each
 * figure the median of `--runs` runs:
 *
 * 1. 10,000 actors, `getOrCreate` + one durable action each, 64 concurrent
 *    callers (and the same work with one caller, on `--seq` actors).
 * 2. One actor, durable actions from 64 concurrent callers, against the
 *    baseline of raw `kv.set` from 64 concurrent callers on the same kind
 *    of file in the same run.
 * 3. Restart of a server whose file holds 10,000 actors: from opening the
 *    file to the first answered action.
 *
 *   ./node_modules/.bin/deno run -A bench/kv_driver_bench.ts [--runs 3] [--actors 10000] [--seq 1000]
 *
 * @module
 */
import { kvDriver } from "../drivers/kv.ts";
import type { KvStore } from "../drivers/kv.ts";
import { median, numberArg, registry } from "./_bench_util.ts";

const RUNS = numberArg("runs", 3);
const ACTORS = numberArg("actors", 10_000);
const SEQ = numberArg("seq", 1_000);
const CONCURRENCY = 64;
const ONE_ACTOR_CALLS = numberArg("calls", 5_000);
const dir = Deno.makeTempDirSync({ prefix: "sy_kv_bench_" });
let files = 0;
const fresh = () => `${dir}/${files++}.db`;

function counting(counter: { commits: number }) {
  return (store: KvStore): KvStore => ({
    ...store,
    commit: (checks, mutations) => {
      counter.commits++;
      return store.commit(checks, mutations);
    },
  });
}

async function pool(n: number, width: number, job: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await job(next++);
  }));
}

/** Creates `n` actors with one durable action each; returns ms and commits. */
async function manyActors(path: string, n: number, width: number) {
  const counter = { commits: 0 };
  const server = registry.createServer({
    driver: await kvDriver({ path, wrapStore: counting(counter) }),
    logger: () => {},
  });
  const t0 = performance.now();
  await pool(n, width, (i) => server.client.counter.getOrCreate([`a${i}`]).increment(1));
  const ms = performance.now() - t0;
  await server.shutdown();
  return { ms, commits: counter.commits };
}

async function oneActor(path: string) {
  const counter = { commits: 0 };
  const server = registry.createServer({
    driver: await kvDriver({ path, wrapStore: counting(counter) }),
    logger: () => {},
  });
  const h = server.client.counter.getOrCreate(["one"]);
  await h.increment(1);
  const c0 = counter.commits;
  const t0 = performance.now();
  await pool(ONE_ACTOR_CALLS, CONCURRENCY, () => h.increment(1));
  const s = (performance.now() - t0) / 1000;
  const commits = counter.commits - c0;
  await server.shutdown();
  return { actionsPerSec: ONE_ACTOR_CALLS / s, commitsPerSec: commits / s };
}

async function rawSets(path: string, n: number) {
  const kv = await Deno.openKv(path);
  const value = new Uint8Array(16);
  const t0 = performance.now();
  await pool(n, CONCURRENCY, (i) => kv.set(["raw", i % 64], value));
  const s = (performance.now() - t0) / 1000;
  kv.close();
  return n / s;
}

async function restart(path: string) {
  const t0 = performance.now();
  const server = registry.createServer({ driver: await kvDriver({ path }), logger: () => {} });
  await server.client.counter.getOrCreate([`a${ACTORS - 1}`]).increment(1);
  const ms = performance.now() - t0;
  await server.shutdown();
  return ms;
}

const out: Record<string, number[]> = {
  many: [],
  manyCommits: [],
  seqPerActor: [],
  oneActions: [],
  oneCommits: [],
  raw: [],
  restart: [],
};
for (let run = 0; run < RUNS; run++) {
  const path = fresh();
  const many = await manyActors(path, ACTORS, CONCURRENCY);
  out.many!.push(many.ms);
  out.manyCommits!.push(many.commits);
  out.restart!.push(await restart(path));
  const seq = await manyActors(fresh(), SEQ, 1);
  out.seqPerActor!.push(seq.ms / SEQ);
  const raw = await rawSets(fresh(), 2_000);
  const one = await oneActor(fresh());
  out.raw!.push(raw);
  out.oneActions!.push(one.actionsPerSec);
  out.oneCommits!.push(one.commitsPerSec);
  console.error(`run ${run + 1}/${RUNS} done`);
}
Deno.removeSync(dir, { recursive: true });

const m = (k: string) => median(out[k]!);
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
console.log(
  `kv driver, ${RUNS} runs (medians), Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);
console.log(
  `${fmt(ACTORS)} actors, getOrCreate + 1 durable action, ${CONCURRENCY} callers: ${
    fmt(m("many"))
  } ms (${fmt(m("manyCommits"))} commits)`,
);
console.log(
  `same work, 1 caller: ${m("seqPerActor").toFixed(2)} ms per actor (${SEQ} actors) = ~${
    fmt(m("seqPerActor") * ACTORS / 1000)
  } s for ${fmt(ACTORS)}`,
);
console.log(
  `one actor, durable actions, ${CONCURRENCY} callers: ${
    fmt(m("oneActions"))
  } actions/s acknowledged, ${fmt(m("oneCommits"))} commits/s`,
);
console.log(
  `raw kv.set, ${CONCURRENCY} callers (baseline): ${fmt(m("raw"))} sets/s => ${
    (m("oneActions") / m("raw")).toFixed(1)
  }x`,
);
console.log(
  `restart with ${fmt(ACTORS)} actors, open to first answered action: ${
    m("restart").toFixed(1)
  } ms`,
);
