/**
 * Actions over one WebSocket connection with 64 in flight, JSON frames, a
 * raw client speaking src/protocol/messages.ts. The server runs in its own
 * process (bench/ws_server.ts); the baseline is a raw `Deno.upgradeWebSocket`
 * server in that process answering the same frames.
 *
 *   ./node_modules/.bin/deno run -A bench/ws_actions_bench.ts [--runs 5] [--ms 2000]
 *
 * @module
 */
import { median, numberArg, openConnection, rate, spawnServer } from "./_bench_util.ts";

const RUNS = numberArg("runs", 5);
const MS = numberArg("ms", 2000);
const IN_FLIGHT = 64;

/** Actions per second on one socket, `IN_FLIGHT` outstanding. */
function measure(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    let id = 0;
    let done = 0;
    const start = performance.now();
    const end = start + MS;
    let open = 0;
    const send = () => {
      open++;
      ws.send(JSON.stringify({ t: "action", id: ++id, name: "increment", args: [1] }));
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.t !== "result") throw new Error(`Unexpected frame ${ev.data}`);
      done++;
      open--;
      if (performance.now() < end) send();
      else if (open === 0) resolve(done / ((performance.now() - start) / 1000));
    };
    for (let i = 0; i < IN_FLIGHT; i++) send();
  });
}

const child = await spawnServer(new URL("./ws_server.ts", import.meta.url).pathname);
const [syPort, rawPort] = child.ports;
const targets: Array<[string, WebSocket]> = [
  ["raw Deno WebSocket server", await openConnection(`http://127.0.0.1:${rawPort}`, ["ws"])],
  ["switchyard connection", await openConnection(`http://127.0.0.1:${syPort}`, ["ws"])],
];
const results = new Map<string, number[]>(targets.map(([n]) => [n, []]));
for (const [, ws] of targets) await measure(ws); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const [name, ws] of targets) results.get(name)!.push(await measure(ws));
}
console.log(`| target | median | runs |`);
console.log(`|---|---:|---|`);
for (const [name] of targets) {
  const xs = results.get(name)!;
  console.log(`| ${name} | ${rate(median(xs))} | ${xs.map(rate).join(", ")} |`);
}
const m = (i: number) => median(results.get(targets[i]![0])!);
console.log(`ratio switchyard / raw: ${(m(1) / m(0)).toFixed(2)}x`);
for (const [, ws] of targets) {
  const closed = new Promise((r) => (ws.onclose = r));
  ws.close(1000);
  await closed;
}
await child.stop();
