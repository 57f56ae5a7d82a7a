/**
 * Actions over one WebSocket connection with 64 in flight, JSON frames. The
 * server runs in its own process (bench/ws_server.ts); clients run here.
 * Targets, measured in turns in the same run:
 *
 * - **raw server, one frame per action** (the baseline): a raw
 *   `Deno.upgradeWebSocket` server answering each action frame with a result
 *   frame; a raw client keeps 64 actions in flight, one frame each;
 * - **raw server, batched**: the same, but the client sends the actions it
 *   issues in one tick as list frames, packed as the switchyard client packs
 *   them (`packFrames`, at most 1 KiB each: see src/client/_conn_outbox.ts),
 *   and the server answers a list with one list — the transport's ceiling
 *   for the batching switchyard does;
 * - **switchyard, raw client, one frame per action**: the raw client against
 *   the switchyard server (the server's per-frame path);
 * - **switchyard client**: what a user gets — `createClient(url)`, one
 *   `connect()`, 64 concurrent callers each looping
 *   `await conn.increment(1)`. The client sends the actions of one tick in
 *   one frame and the server answers the results of one tick in one frame
 *   (src/protocol/messages.ts).
 *
 *   ./node_modules/.bin/deno run -A bench/ws_actions_bench.ts [--runs 5] [--ms 2000]
 *
 * @module
 */
import { createClient } from "../src/client/mod.ts";
import { packFrames } from "../src/client/_conn_outbox.ts";
import {
  median,
  numberArg,
  openConnection,
  rate,
  type registry,
  spawnServer,
} from "./_bench_util.ts";

const RUNS = numberArg("runs", 5);
const MS = numberArg("ms", 2000);
const IN_FLIGHT = 64;

/** Actions per second on one raw socket, `IN_FLIGHT` outstanding. */
function measureRaw(ws: WebSocket, batched: boolean): Promise<number> {
  return new Promise((resolve) => {
    let id = 0;
    let done = 0;
    const start = performance.now();
    const end = start + MS;
    let open = 0;
    const send = (msgs: unknown[]) => {
      const texts = msgs.map((m) => JSON.stringify(m));
      for (const frame of batched ? packFrames(texts, "json") : texts) ws.send(frame);
    };
    const action = () => {
      open++;
      return { t: "action", id: ++id, name: "increment", args: [1] };
    };
    ws.onmessage = (ev) => {
      const v = JSON.parse(ev.data);
      const msgs = Array.isArray(v) ? v : [v];
      const next: unknown[] = [];
      for (const msg of msgs) {
        if (msg.t !== "result") throw new Error(`Unexpected frame ${ev.data}`);
        done++;
        open--;
        if (performance.now() < end) next.push(action());
      }
      send(next);
      if (open === 0) resolve(done / ((performance.now() - start) / 1000));
    };
    send(Array.from({ length: IN_FLIGHT }, action));
  });
}

/** Actions per second through the switchyard client, `IN_FLIGHT` callers. */
async function measureClient(conn: { increment(by: number): Promise<number> }): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + MS;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (performance.now() < end) {
      await conn.increment(1);
      done++;
    }
  }));
  return done / ((performance.now() - start) / 1000);
}

const child = await spawnServer(new URL("./ws_server.ts", import.meta.url).pathname);
const [syPort, rawPort, rawBatchedPort] = child.ports;
const client = createClient<typeof registry>(`http://127.0.0.1:${syPort}`);
const conn = client.counter.getOrCreate(["ws"]).connect();
await conn.ready();
const rawWs = await openConnection(`http://127.0.0.1:${rawPort}`, ["ws"]);
const rawBatchedWs = await openConnection(`http://127.0.0.1:${rawBatchedPort}`, ["ws"]);
const syWs = await openConnection(`http://127.0.0.1:${syPort}`, ["ws"]);
const targets: Array<[string, () => Promise<number>]> = [
  ["raw server, raw client, one frame per action", () => measureRaw(rawWs, false)],
  ["raw server, raw client, batched per tick", () => measureRaw(rawBatchedWs, true)],
  ["switchyard server, raw client, one frame per action", () => measureRaw(syWs, false)],
  ["switchyard server, switchyard client (64 callers)", () => measureClient(conn)],
];
const results = new Map<string, number[]>(targets.map(([n]) => [n, []]));
for (const [, run] of targets) await run(); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const [name, fn] of targets) results.get(name)!.push(await fn());
}
console.log(`| target | median | runs |`);
console.log(`|---|---:|---|`);
for (const [name] of targets) {
  const xs = results.get(name)!;
  console.log(`| ${name} | ${rate(median(xs))} | ${xs.map(rate).join(", ")} |`);
}
const m = (i: number) => median(results.get(targets[i]![0])!);
console.log(`ratio switchyard raw client / raw one frame per action: ${(m(2) / m(0)).toFixed(2)}x`);
console.log(`ratio switchyard client / raw one frame per action: ${(m(3) / m(0)).toFixed(2)}x`);
console.log(`ratio switchyard client / raw batched: ${(m(3) / m(1)).toFixed(2)}x`);
await client.dispose();
for (const ws of [rawWs, rawBatchedWs, syWs]) {
  const closed = new Promise((r) => (ws.onclose = r));
  ws.close(1000);
  await closed;
}
await child.stop();
