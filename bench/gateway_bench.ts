/**
 * Route matching: RouteMatcher against find-my-way on the same 200-route
 * table and the same 10,000 skewed paths. Each iteration matches all 10,000.
 *
 *   ./node_modules/.bin/deno bench -A bench/gateway_bench.ts
 */
import FindMyWay from "find-my-way";
import { RouteMatcher } from "../src/gateway/route_matcher.ts";
import { benchPaths, benchPatterns } from "./gateway_table.ts";

const patterns = benchPatterns();
const paths = benchPaths(patterns);
const matcher = new RouteMatcher(patterns.map((p) => ({ pattern: p, data: p })));
const fmw = FindMyWay();
for (const p of patterns) fmw.on("GET", p, () => {}, { pattern: p });
const GET = { method: "GET" };

// Where the two disagree on the winner (find-my-way has its own priority rule).
const disagreements = new Map<string, number>();
let firstExample = "";
for (const path of paths) {
  const ours = matcher.match(path, GET)?.route.data ?? "(none)";
  const theirs = (fmw.find("GET", path)?.store as { pattern?: string } | undefined)?.pattern ??
    "(none)";
  if (ours !== theirs) {
    const key = `${ours} | find-my-way: ${theirs}`;
    disagreements.set(key, (disagreements.get(key) ?? 0) + 1);
    firstExample ||= `${path}: ours ${ours}, find-my-way ${theirs}`;
  }
}
const total = [...disagreements.values()].reduce((a, b) => a + b, 0);
console.log(
  `routes ${patterns.length}, paths ${paths.length}, distinct paths ${new Set(paths).size}, ` +
    `winner disagreements ${total}${firstExample ? ` (e.g. ${firstExample})` : ""}`,
);
for (const [k, v] of [...disagreements].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
  console.log(`  ${v} × ours ${k}`);
}

let sink = 0;
Deno.bench({
  name: "find-my-way: 10,000 paths",
  group: "match",
  baseline: true,
  fn() {
    for (let i = 0; i < paths.length; i++) if (fmw.find("GET", paths[i]!) !== null) sink++;
  },
});

Deno.bench({
  name: "RouteMatcher: 10,000 paths",
  group: "match",
  fn() {
    for (let i = 0; i < paths.length; i++) if (matcher.match(paths[i]!, GET) !== null) sink++;
  },
});

Deno.bench({
  name: "RouteMatcher: compile the 200-route table",
  group: "compile",
  fn() {
    sink += new RouteMatcher(patterns.map((p) => ({ pattern: p, data: p }))).routes.length;
  },
});

globalThis.addEventListener("unload", () => {
  if (sink < 0) console.log(sink);
});
