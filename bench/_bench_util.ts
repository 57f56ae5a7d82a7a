/**
 * Shared pieces of the actor benchmarks: the benchmark registry, medians,
 * argument parsing and servers on 127.0.0.1:0. Deno only.
 *
 * @module
 */
import { actor, setup } from "../mod.ts";

/** The counter every actor benchmark uses; `burst(n)` broadcasts `n` events. */
export const counter = actor({
  state: { count: 0 },
  onAuth: () => {},
  actions: {
    increment: (c, by: number) => {
      c.state.count += by;
      return c.state.count;
    },
    burst: (c, n: number) => {
      for (let i = 0; i < n; i++) c.broadcast("tick", i);
      return n;
    },
  },
});

/** The benchmark registry. */
export const registry = setup({ use: { counter } });

/** The plain function the `increment` action runs, for direct-call baselines. */
export function incrementDirect(state: { count: number }, by: number): number {
  state.count += by;
  return state.count;
}

/**
 * The median of numbers.
 *
 * @param xs Values (not empty).
 * @returns The median.
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Formats a rate: `412k/s`, `1.23M/s`.
 *
 * @param perSecond The rate.
 * @returns The text.
 */
export function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(0)}k/s`;
  return `${perSecond.toFixed(0)}/s`;
}

/**
 * Reads `--name value` from the command line.
 *
 * @param name Flag name without dashes.
 * @param fallback Default.
 * @returns The number.
 */
export function numberArg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

/** A server on 127.0.0.1 with a free port. */
export interface Listening {
  /** Base URL. */
  url: string;
  /** Port. */
  port: number;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves a handler on 127.0.0.1:0.
 *
 * @param handler The request handler.
 * @returns The listening server.
 */
export async function listen(
  handler: (r: Request) => Response | Promise<Response>,
): Promise<Listening> {
  const ready = Promise.withResolvers<number>();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: (a) => ready.resolve(a.port) },
    handler,
  );
  const port = await ready.promise;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await http.shutdown();
    },
  };
}

/**
 * Starts a child `deno run` of `script` with `args`, waits for a line
 * `port <n> [<n>…]` on its stdout and returns the ports and a stop function.
 *
 * @param script Path to the script.
 * @param args Its arguments.
 * @returns The ports and `stop()` (kills the child and waits).
 */
export async function spawnServer(
  script: string,
  args: string[] = [],
): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("Server child exited before printing its port");
    buf += value;
    const m = buf.match(/port ([\d ]+)\n/);
    if (m) {
      void (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return {
        ports: m[1]!.trim().split(" ").map(Number),
        async stop() {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
}

/**
 * Opens a raw connection WebSocket to the manager router (sub-protocols of
 * src/protocol/headers.ts) and resolves on its `init` message.
 *
 * @param url Base `http://` URL.
 * @param key The counter's key.
 * @returns The open socket.
 */
export function openConnection(url: string, key: string[]): Promise<WebSocket> {
  const query = { getOrCreateForKey: { name: "counter", key } };
  const b64 = btoa(JSON.stringify(query)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
  const ws = new WebSocket(url.replace("http", "ws") + "/actors/connect/websocket", [
    "switchyard",
    `sy.query.${b64}`,
    "sy.encoding.json",
  ]);
  return new Promise((resolve, reject) => {
    ws.onmessage = (ev) => {
      if (JSON.parse(ev.data).t === "init") {
        ws.onmessage = null;
        resolve(ws);
      }
    };
    ws.onerror = () => reject(new Error("WebSocket failed"));
  });
}
