/**
 * Broadcast fan-out: 100 WebSocket clients subscribed to `tick`, one action
 * broadcasts 1,000 events; every delivery is counted. Time runs from sending
 * the action to the last delivery. The server runs in its own process
 * (bench/ws_server.ts); the 100 clients share this process. Every client
 * parses every frame (one message, or a batch: a list of messages counted
 * one by one) and checks that sequence numbers grow, as the switchyard
 * client does. Baselines, in the same run: the raw `Deno.upgradeWebSocket`
 * server sending one frame per event per socket, and the same server
 * sending the burst as one list frame per socket (bench/ws_server.ts).
 *
 *   ./node_modules/.bin/deno run -A bench/ws_broadcast_bench.ts [--runs 5] [--clients 100] [--events 1000]
 *
 * @module
 */
import { median, numberArg, openConnection, rate, spawnServer } from "./_bench_util.ts";

const RUNS = numberArg("runs", 5);
const CLIENTS = numberArg("clients", 100);
const EVENTS = numberArg("events", 1000);

interface Fleet {
  sockets: WebSocket[];
  delivered: number;
  frames: number;
  onDelivery?: () => void;
}

interface EventMsg {
  t: "event";
  seq: number;
}

async function fleet(url: string): Promise<Fleet> {
  const f: Fleet = { sockets: [], delivered: 0, frames: 0 };
  for (let i = 0; i < CLIENTS; i++) {
    const ws = await openConnection(url, ["broadcast"]);
    const subscribed = Promise.withResolvers<void>();
    let lastSeq = 0;
    const count = (e: EventMsg) => {
      if (e.t !== "event" || !(e.seq > lastSeq)) throw new Error(`Out of order: ${e.seq}`);
      lastSeq = e.seq;
      f.delivered++;
    };
    ws.onmessage = (ev) => {
      const v = JSON.parse(ev.data as string);
      let events = 0;
      for (const msg of Array.isArray(v) ? v : [v]) {
        if (msg.t === "event") {
          events++;
          count(msg);
        } else if (msg.t === "result") subscribed.resolve();
      }
      if (events === 0) return;
      f.frames++;
      f.onDelivery?.();
    };
    // An action after the subscription returns once the subscription is in place.
    ws.send(JSON.stringify({ t: "sub", event: "tick" }));
    ws.send(JSON.stringify({ t: "action", id: 0, name: "increment", args: [0] }));
    await subscribed.promise;
    f.sockets.push(ws);
  }
  return f;
}

/** Deliveries per second of one burst; throws if any event is missing. */
function burst(f: Fleet): Promise<number> {
  const expected = f.delivered + CLIENTS * EVENTS;
  const framesBefore = f.frames;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const timer = setTimeout(() => {
      reject(
        new Error(
          `Only ${f.delivered - expected + CLIENTS * EVENTS} of ${CLIENTS * EVENTS} delivered`,
        ),
      );
    }, 30_000);
    f.onDelivery = () => {
      if (f.delivered < expected) return;
      clearTimeout(timer);
      f.onDelivery = undefined;
      framesPerBurst.set(f, f.frames - framesBefore);
      resolve((CLIENTS * EVENTS) / ((performance.now() - start) / 1000));
    };
    f.sockets[0]!.send(JSON.stringify({ t: "action", id: 1, name: "burst", args: [EVENTS] }));
  });
}

const framesPerBurst = new Map<Fleet, number>();
const child = await spawnServer(new URL("./ws_server.ts", import.meta.url).pathname);
const [syPort, rawPort, rawBatchedPort] = child.ports;
const targets: Array<[string, Fleet]> = [
  ["raw Deno WebSocket server, one frame per event", await fleet(`http://127.0.0.1:${rawPort}`)],
  [
    "raw Deno WebSocket server, one batch frame per burst",
    await fleet(`http://127.0.0.1:${rawBatchedPort}`),
  ],
  ["switchyard broadcast", await fleet(`http://127.0.0.1:${syPort}`)],
];
const results = new Map<string, number[]>(targets.map(([n]) => [n, []]));
for (const [, f] of targets) await burst(f); // warm-up
for (let run = 0; run < RUNS; run++) {
  for (const [name, f] of targets) results.get(name)!.push(await burst(f));
}
console.log(`${CLIENTS} clients x ${EVENTS} events, every delivery counted`);
console.log(`| target | median deliveries | frames per burst | runs |`);
console.log(`|---|---:|---:|---|`);
for (const [name, f] of targets) {
  const xs = results.get(name)!;
  console.log(
    `| ${name} | ${rate(median(xs))} | ${framesPerBurst.get(f)} | ${xs.map(rate).join(", ")} |`,
  );
}
const m = (i: number) => median(results.get(targets[i]![0])!);
console.log(`ratio switchyard / raw one frame per event: ${(m(2) / m(0)).toFixed(2)}x`);
console.log(`ratio switchyard / raw batched: ${(m(2) / m(1)).toFixed(2)}x`);
for (const [, f] of targets) {
  await Promise.all(f.sockets.map((ws) => {
    const closed = new Promise((r) => (ws.onclose = r));
    ws.close(1000);
    return closed;
  }));
}
await child.stop();
