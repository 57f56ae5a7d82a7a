/**
 * Message router benchmarks with their baselines, measured in the same run.
 *
 *   ./node_modules/.bin/deno run -A bench/messaging_bench.ts [--runs 5] [--only name]
 *
 * Baselines: a raw dispatcher (a `Map` from id to handler and one array queue
 * drained per burst) for one-way, request, async and channel messages, and a
 * raw WebSocket echo loopback for the external path. Each scenario alternates
 * baseline and router runs and reports medians. 127.0.0.1 only.
 *
 * Every measurement runs in a fresh Deno process (`--one fn args`): one
 * warm-up (whole runs for at least 300 ms), then the measured one. So neither side inherits the other's heap, GC
 * pretenuring decisions or JIT feedback (in one shared isolate the raw request
 * baseline slowed the router's next run by ~3x through old-space GC).
 *
 * WebSocket scenarios: the client is `bench/messaging_ws_client.ts` (the
 * `MessagingClient`, frames of N one-way sends, a sliding window of frames in
 * flight). With 100 commands per frame it runs twice: in the server's process
 * and thread, and in a Deno process of its own (as an outside client is; the
 * server then has the bench process to itself). With a lock-step window, a
 * Deno WebSocket client's frames of ~4 KB stall ~40 ms per round trip (the
 * header and payload go out as two writes with Nagle's algorithm on, and the
 * payload waits for the peer's delayed ACK); a window of 20 frames that
 * slides does not stall, with 4 it still does.
 *
 * @module
 */
import { MessageRouter, serveMessagingSocket } from "../src/messaging/mod.ts";
import { run as wsClientRun } from "./messaging_ws_client.ts";

const ACTORS = 10;
const BURST = 1000;

// ---------- raw dispatcher (baseline) ----------

type RawHandler = (data: unknown, from: string) => unknown;

class RawDispatcher {
  handlers = new Map<string, RawHandler>();
  queue: { h: RawHandler; data: unknown; from: string; resolve?: (v: unknown) => void }[] = [];
  scheduled = false;
  drain = () => {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    for (const m of q) {
      const r = m.h(m.data, m.from);
      m.resolve?.(r);
    }
  };
  send(target: string, data: unknown, from: string): void {
    const h = this.handlers.get(target)!;
    this.queue.push({ h, data, from });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
  }
  request(target: string, data: unknown, from: string): Promise<unknown> {
    const h = this.handlers.get(target)!;
    return new Promise((resolve) => {
      this.queue.push({ h, data, from, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.drain);
      }
    });
  }
}

/** Raw async baseline: one queue per actor, handlers awaited one at a time. */
class RawAsyncDispatcher {
  actors = new Map<string, { h: RawHandler; q: unknown[]; busy: boolean }>();
  async #run(a: { h: RawHandler; q: unknown[]; busy: boolean }) {
    a.busy = true;
    for (let i = 0; i < a.q.length; i++) await a.h(a.q[i], "x");
    a.q.length = 0;
    a.busy = false;
  }
  send(target: string, data: unknown): void {
    const a = this.actors.get(target)!;
    a.q.push(data);
    if (!a.busy) this.#run(a);
  }
}

// ---------- scenarios: each returns operations per second ----------

async function rawOneWay(total: number): Promise<number> {
  const d = new RawDispatcher();
  let n = 0;
  for (let i = 0; i < ACTORS; i++) d.handlers.set(`a${i}`, () => void n++);
  const ids = Array.from({ length: ACTORS }, (_, i) => `a${i}`);
  const t = performance.now();
  for (let sent = 0; sent < total; sent += BURST) {
    for (let k = 0; k < BURST; k++) d.send(ids[k % ACTORS]!, k, "me");
    await null;
  }
  if (n !== total) throw new Error(`lost ${total - n}`);
  return total / ((performance.now() - t) / 1000);
}

async function routerOneWay(total: number): Promise<number> {
  const router = new MessageRouter();
  let n = 0;
  for (let i = 0; i < ACTORS; i++) router.register(`a${i}`, { onMessage: () => void n++ });
  const ids = Array.from({ length: ACTORS }, (_, i) => `a${i}`);
  const me = { from: "me" };
  const t = performance.now();
  for (let sent = 0; sent < total; sent += BURST) {
    for (let k = 0; k < BURST; k++) router.send(ids[k % ACTORS]!, k, me);
    await null;
  }
  if (n !== total) throw new Error(`lost ${total - n}`);
  return total / ((performance.now() - t) / 1000);
}

async function rawRequest(total: number): Promise<number> {
  const d = new RawDispatcher();
  for (let i = 0; i < ACTORS; i++) d.handlers.set(`a${i}`, (x) => x);
  const ids = Array.from({ length: ACTORS }, (_, i) => `a${i}`);
  const t = performance.now();
  for (let sent = 0; sent < total; sent += 256) {
    const all = [];
    for (let k = 0; k < 256; k++) all.push(d.request(ids[k % ACTORS]!, k, "me"));
    await Promise.all(all);
  }
  return total / ((performance.now() - t) / 1000);
}

async function routerRequest(total: number): Promise<number> {
  const router = new MessageRouter();
  for (let i = 0; i < ACTORS; i++) router.register(`a${i}`, { onRequest: (x) => x });
  const ids = Array.from({ length: ACTORS }, (_, i) => `a${i}`);
  const opts = { from: "me", timeout: 5000 };
  const t = performance.now();
  for (let sent = 0; sent < total; sent += 256) {
    const all = [];
    for (let k = 0; k < 256; k++) all.push(router.request(ids[k % ACTORS]!, k, opts));
    await Promise.all(all);
  }
  return total / ((performance.now() - t) / 1000);
}

async function rawAsync(total: number): Promise<number> {
  const d = new RawAsyncDispatcher();
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  for (let i = 0; i < ACTORS; i++) {
    d.actors.set(`a${i}`, {
      h: () => {
        if (++n === total) done();
        return Promise.resolve();
      },
      q: [],
      busy: false,
    });
  }
  const ids = Array.from({ length: ACTORS }, (_, i) => `a${i}`);
  const t = performance.now();
  for (let sent = 0; sent < total; sent += BURST) {
    for (let k = 0; k < BURST; k++) d.send(ids[k % ACTORS]!, k);
    await null;
  }
  await finished;
  return total / ((performance.now() - t) / 1000);
}

async function routerAsync(total: number): Promise<number> {
  const router = new MessageRouter({ mailboxCapacity: total });
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  for (let i = 0; i < ACTORS; i++) {
    router.register(`a${i}`, {
      onMessage: () => {
        if (++n === total) done();
        return Promise.resolve();
      },
    });
  }
  const ids = Array.from({ length: ACTORS }, (_, i) => `a${i}`);
  const me = { from: "me" };
  const t = performance.now();
  for (let sent = 0; sent < total; sent += BURST) {
    for (let k = 0; k < BURST; k++) router.send(ids[k % ACTORS]!, k, me);
    await null;
  }
  await finished;
  return total / ((performance.now() - t) / 1000);
}

async function rawChannel(total: number): Promise<number> {
  const d = new RawDispatcher();
  let n = 0;
  for (let i = 0; i < ACTORS; i++) d.handlers.set(`ch${i}`, () => void n++);
  const ids = Array.from({ length: ACTORS }, (_, i) => `ch${i}`);
  const t = performance.now();
  for (let sent = 0; sent < total; sent += BURST) {
    for (let k = 0; k < BURST; k++) d.send(ids[k % ACTORS]!, k, "me");
    await null;
  }
  return total / ((performance.now() - t) / 1000);
}

async function routerChannel(total: number): Promise<number> {
  const router = new MessageRouter();
  let n = 0;
  for (let i = 0; i < ACTORS; i++) {
    router.register(`a${i}`, { onChannelOpen: () => true, onChannelMessage: () => void n++ });
  }
  const chans = await Promise.all(
    Array.from({ length: ACTORS }, (_, i) => router.openChannel("me", `a${i}`)),
  );
  const t = performance.now();
  for (let sent = 0; sent < total; sent += BURST) {
    for (let k = 0; k < BURST; k++) chans[k % ACTORS]!.send(k);
    await null;
  }
  if (n !== total) throw new Error(`lost ${total - n}`);
  return total / ((performance.now() - t) / 1000);
}

async function routerOpenMessageClose(total: number): Promise<number> {
  const router = new MessageRouter();
  let closes = 0;
  for (let i = 0; i < ACTORS; i++) {
    router.register(`a${i}`, {
      onChannelOpen: () => true,
      onChannelMessage: () => {},
      onChannelClose: () => void closes++,
    });
  }
  const t = performance.now();
  for (let done = 0; done < total; done += 256) {
    const all = [];
    for (let k = 0; k < 256; k++) {
      all.push(
        router.openChannel(`p${k}`, `a${k % ACTORS}`).then((ch) => {
          ch.send(k);
          ch.close();
        }),
      );
    }
    await Promise.all(all);
  }
  await null;
  if (router.stats.channels !== 0) throw new Error("channels left open");
  return total / ((performance.now() - t) / 1000);
}

// ---------- WebSocket ----------

function startServer(handler: (socket: WebSocket) => void) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    handler(socket);
    return response;
  });
  return { url: `ws://127.0.0.1:${server.addr.port}/messages`, server };
}

/**
 * Runs `fn(...args)` in a new Deno process (its own isolate, default heap
 * settings): warm-up runs for at least 300 ms, then the measured one, whose rate it prints.
 */
async function isolated(fn: string, args: number[]): Promise<number> {
  const path = new URL(import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", path, "--one", fn, ...args.map(String)],
    stderr: "inherit",
  }).output();
  const rate = Number(new TextDecoder().decode(out.stdout).trim());
  if (!out.success || !Number.isFinite(rate)) throw new Error(`${fn} failed`);
  return rate;
}

/** Client side of the raw echo loopback. */
async function rawWsClient(port: number, total: number, window: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/messages`);
  await new Promise((r) => (ws.onopen = r));
  let received = 0;
  let wake: () => void = () => {};
  ws.onmessage = () => {
    received++;
    wake();
  };
  const frame = JSON.stringify({ id: 1, op: "send", to: "a0", data: 1 });
  const t = performance.now();
  let sent = 0;
  while (received < total) {
    while (sent < total && sent - received < window) {
      ws.send(frame);
      sent++;
    }
    await new Promise<void>((r) => (wake = r));
  }
  const rate = total / ((performance.now() - t) / 1000);
  const closed = new Promise((r) => (ws.onclose = r));
  ws.close();
  await closed;
  return rate;
}

/** Raw echo server and its client, in one thread (see the module doc). */
async function rawWsEcho(total: number, window: number): Promise<number> {
  const { server } = startServer((s) => {
    s.onmessage = (ev) => s.send(ev.data);
  });
  const rate = await rawWsClient(server.addr.port, total, window);
  await server.shutdown();
  return rate;
}

/** The router's endpoint, serving `/messages` on 127.0.0.1 until `stop`. */
function routerServer(perFrame: number) {
  const router = new MessageRouter({ mailboxCapacity: 1 << 20 });
  const received = { n: 0 };
  for (let i = 0; i < ACTORS; i++) router.register(`a${i}`, { onMessage: () => void received.n++ });
  const conns: Promise<void>[] = [];
  const { url, server } = startServer((s) => {
    conns.push(serveMessagingSocket(router, s, { maxCommandsPerFrame: perFrame }).closed);
  });
  return {
    url,
    async stop(expected: number) {
      await Promise.all(conns);
      await null;
      if (received.n !== expected) throw new Error(`lost ${expected - received.n}`);
      await server.shutdown();
    },
  };
}

/**
 * The router's endpoint and its client (`bench/messaging_ws_client.ts`) in
 * one process and one thread: every message is encoded, framed, decoded and
 * acknowledged on the same core.
 */
async function routerWs(total: number, window: number, perFrame: number): Promise<number> {
  const srv = routerServer(perFrame);
  const rate = await wsClientRun(srv.url, total, window, perFrame);
  await srv.stop(total);
  return rate;
}

/**
 * The router's endpoint in this process, the client in a Deno process of its
 * own, as an outside client is: the client runs a warm-up pass, then the
 * measured one, whose rate it prints.
 */
async function routerWsExternal(total: number, window: number, perFrame: number): Promise<number> {
  const srv = routerServer(perFrame);
  const client = new URL("./messaging_ws_client.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", client, srv.url, String(total), String(window), String(perFrame)],
    stderr: "inherit",
  }).output();
  const rate = Number(new TextDecoder().decode(out.stdout).trim());
  if (!out.success || !Number.isFinite(rate)) throw new Error("client failed");
  await srv.stop(2 * total);
  return rate;
}

// ---------- stall: p99 of other actors' requests ----------

async function p99Requests(stalled: boolean, total: number): Promise<number> {
  const router = new MessageRouter({ onDeadLetter: () => {} });
  for (let i = 0; i < ACTORS; i++) router.register(`a${i}`, { onRequest: (x) => x });
  if (stalled) {
    router.register("stuck", { onRequest: () => new Promise(() => {}) });
    for (let i = 0; i < 1024; i++) router.request("stuck", i, { timeout: 60_000 }).catch(() => {});
  }
  const lat: number[] = [];
  const opts = { from: "me", timeout: 5000 };
  for (let done = 0; done < total; done += 256) {
    const all = [];
    for (let k = 0; k < 256; k++) {
      const t0 = performance.now();
      all.push(
        router.request(`a${k % ACTORS}`, k, opts).then(() => lat.push(performance.now() - t0)),
      );
      if (stalled && k % 64 === 0) router.request("stuck", k, { timeout: 60_000 }).catch(() => {});
    }
    await Promise.all(all);
  }
  router.unregister("stuck");
  lat.sort((a, b) => a - b);
  return lat[Math.floor(lat.length * 0.99)]! * 1000; // µs
}

// ---------- driver ----------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  name: string;
  baseline: string;
  unit: string;
  base: number[];
  ours: number[];
  target: string;
  check: (ours: number, base: number) => boolean;
}

async function main() {
  const args = Deno.args;
  const runs = Number(args[args.indexOf("--runs") + 1] || 5) || 5;
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
  const rows: Row[] = [];
  const scenario = async (
    row: Omit<Row, "base" | "ours">,
    base: () => Promise<number>,
    ours: () => Promise<number>,
  ) => {
    if (only && !row.name.includes(only)) return;
    const r: Row = { ...row, base: [], ours: [] };
    for (let i = 0; i < runs; i++) {
      r.base.push(await base());
      r.ours.push(await ours());
    }
    rows.push(r);
    const b = median(r.base), o = median(r.ours);
    console.error(`${r.name}: ${fmt(o)} vs ${fmt(b)} ${r.unit} (x${(o / b).toFixed(2)})`);
  };
  const M = 1_000_000;
  await scenario(
    {
      name: "one-way, sync handler",
      baseline: "raw dispatcher",
      unit: "msg/s",
      target: "≥0.30× and ≥3M/s",
      check: (o, b) => o >= 0.3 * b && o >= 3e6,
    },
    () => isolated("rawOneWay", [M]),
    () => isolated("routerOneWay", [M]),
  );
  await scenario(
    {
      name: "request/response, timeout, 256 in flight",
      baseline: "raw request",
      unit: "req/s",
      target: "≥0.30× and ≥1.5M/s",
      check: (o, b) => o >= 0.3 * b && o >= 1.5e6,
    },
    () => isolated("rawRequest", [M / 2]),
    () => isolated("routerRequest", [M / 2]),
  );
  await scenario(
    {
      name: "one-way, async handler, serial per actor",
      baseline: "raw async",
      unit: "msg/s",
      target: "≥0.5×",
      check: (o, b) => o >= 0.5 * b,
    },
    () => isolated("rawAsync", [M / 2]),
    () => isolated("routerAsync", [M / 2]),
  );
  await scenario(
    {
      name: "message on an open channel",
      baseline: "raw dispatcher",
      unit: "msg/s",
      target: "≥0.30×",
      check: (o, b) => o >= 0.3 * b,
    },
    () => isolated("rawChannel", [M]),
    () => isolated("routerChannel", [M]),
  );
  await scenario(
    {
      name: "open + message + close",
      baseline: "raw dispatcher (one-way)",
      unit: "ops/s",
      target: "≥500k/s",
      check: (o) => o >= 5e5,
    },
    () => isolated("rawOneWay", [M / 4]),
    () => isolated("routerOpenMessageClose", [M / 4]),
  );
  await scenario(
    {
      name: "WebSocket client, 1 command per frame (64 in flight)",
      baseline: "raw WS echo",
      unit: "msg/s",
      target: "≥0.5×",
      check: (o, b) => o >= 0.5 * b,
    },
    () => isolated("rawWsEcho", [50_000, 64]),
    () => isolated("routerWs", [50_000, 64, 1]),
  );
  await scenario(
    {
      name: "WebSocket client, 100 commands per frame, same thread",
      baseline: "raw WS echo (frames)",
      unit: "msg/s",
      target: "≥1M/s",
      check: (o) => o >= 1e6,
    },
    () => isolated("rawWsEcho", [50_000, 64]),
    () => isolated("routerWs", [1_000_000, 20, 100]),
  );
  await scenario(
    {
      name: "WebSocket client, 100 commands per frame, own process",
      baseline: "raw WS echo (frames)",
      unit: "msg/s",
      target: "≥1M/s",
      check: (o) => o >= 1e6,
    },
    () => isolated("rawWsEcho", [50_000, 64]),
    () => isolated("routerWsExternal", [1_000_000, 20, 100]),
  );
  await scenario(
    {
      name: "p99 request latency, one actor stalled",
      baseline: "same, unstalled",
      unit: "µs p99",
      target: "≤2× unstalled",
      check: (o, b) => o <= 2 * b,
    },
    () => isolated("p99Requests", [0, 200_000]),
    () => isolated("p99Requests", [1, 200_000]),
  );
  console.log(
    `| scenario | baseline | baseline median | router median | ratio | target | within target |`,
  );
  console.log(`|---|---|---:|---:|---:|---|---|`);
  for (const r of rows) {
    const b = median(r.base), o = median(r.ours);
    console.log(
      `| ${r.name} | ${r.baseline} | ${fmt(b)} ${r.unit} | ${fmt(o)} ${r.unit} | ${
        (o / b).toFixed(2)
      }× | ${r.target} | ${r.check(o, b) ? "yes" : "**no**"} |`,
    );
  }
  console.log(
    `\nruns per scenario: ${runs}; all figures: ${
      JSON.stringify(
        rows.map((r) => ({
          n: r.name,
          base: r.base.map(Math.round),
          ours: r.ours.map(Math.round),
        })),
      )
    }`,
  );
}

function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)}k`;
  return x.toFixed(0);
}

// deno-lint-ignore no-explicit-any
const FNS: Record<string, (...args: any[]) => Promise<number>> = {
  rawOneWay,
  routerOneWay,
  rawRequest,
  routerRequest,
  rawAsync,
  routerAsync,
  rawChannel,
  routerChannel,
  routerOpenMessageClose,
  rawWsEcho,
  routerWs,
  routerWsExternal,
  rawWsClient,
  p99Requests: (stalled: number, total: number) => p99Requests(stalled === 1, total),
};

if (import.meta.main && Deno.args[0] === "--one") {
  const [, fn, ...rest] = Deno.args;
  const args = rest.map(Number);
  // Warm-up: whole runs for at least 300 ms, so the measured run sees optimized
  // code (a single short warm-up left the async scenario mostly measuring the JIT).
  const warm = performance.now() + 300;
  do await FNS[fn!]!(...args); while (performance.now() < warm);
  console.log(await FNS[fn!]!(...args));
} else if (import.meta.main) await main();
