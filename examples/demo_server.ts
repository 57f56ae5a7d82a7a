/**
 * The demo server: a web page at `/` showing a live counter, a chat room,
 * direct messages over the message router and an API gateway in front of a
 * small upstream service, all served by one switchyard server.
 *
 *     npm install && npm run demo                 # http://127.0.0.1:8080
 *     PORT=0 npm run demo                         # a free port, printed
 *     npm run demo -- --memory                    # the memory driver: nothing survives a restart
 *     npm run demo -- --state-file=path/demo.kv   # where the kv driver keeps state
 *
 * Environment: `PORT` (default 8080, `0` for a free one), `HOST` (default
 * 127.0.0.1), `DEMO_STATE_FILE` (like `--state-file`). It prints
 * `switchyard demo listening on <url>` and a `driver:` line, and stops
 * cleanly on SIGINT or SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { DriverFactory } from "../mod.ts";
import { memoryDriver } from "../drivers/memory.ts";
import { kvDriver } from "../drivers/kv.ts";
import { registry } from "./actors.ts";
import { bundleApp } from "./demo/bundle.ts";
import { createDemoHandler, readAssets } from "./demo/demo_app.ts";
import { createDemoGateway } from "./demo/demo_gateway.ts";
import { directMessages } from "./demo/direct_messages.ts";
import { startUpstream } from "./demo/upstream.ts";

/** Where a persistent driver keeps the demo's state by default. */
export const DEFAULT_STATE_FILE = ".switchyard/demo.kv";

/** The demo's driver and what it keeps. */
export interface DemoDriver {
  /** The driver factory for `createServer`. */
  factory: DriverFactory;
  /** Whether actor state survives a restart. */
  persistent: boolean;
  /** How the startup line names it, e.g. `memory`. */
  label: string;
}

/** Options of {@linkcode createDriver}. */
export interface DriverChoice {
  /** Use the memory driver whatever the default is (`--memory`). */
  memory: boolean;
  /** The file a persistent driver keeps state in (`--state-file`). */
  stateFile: string;
}

/**
 * Chooses the demo's driver: the kv driver on `choice.stateFile` (its folder
 * is created), so the counter, the chat and the direct messages survive a
 * restart; `--memory` gives the memory driver, which keeps nothing.
 *
 * @param choice The command line's choice.
 * @returns The driver.
 */
export async function createDriver(choice: DriverChoice): Promise<DemoDriver> {
  if (choice.memory) return { factory: memoryDriver(), persistent: false, label: "memory" };
  const slash = choice.stateFile.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(choice.stateFile.slice(0, slash), { recursive: true });
  return {
    factory: await kvDriver({ path: choice.stateFile }),
    persistent: true,
    label: `kv (${choice.stateFile})`,
  };
}

/** A running demo. */
export interface Demo {
  /** Its base URL. */
  readonly url: string;
  /** Stops the page server, the actors (state flushed), the gateway and the upstream. */
  close(): Promise<void>;
}

/** Options of {@linkcode startDemo}. */
export interface DemoOptions {
  /** TCP port; `0` picks a free one. */
  port: number;
  /** Interface to listen on. */
  hostname: string;
  /** The driver. */
  driver: DemoDriver;
}

/**
 * Starts the demo: bundles the page, starts the upstream, the switchyard
 * server, the gateway and the HTTP server.
 *
 * @param options Port, interface, driver.
 * @returns The running demo, once it listens.
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const js = await bundleApp();
  const assets = await readAssets(js);
  const upstream = await startUpstream();
  const messages = directMessages();
  const server = registry.createServer({
    driver: options.driver.factory,
    messaging: { auth: messages.auth },
  });
  messages.attach(server);
  const gateway = createDemoGateway(server, upstream.url);
  const info = { driver: options.driver.label, persistent: options.driver.persistent };
  const handler = createDemoHandler({ server, gateway, assets, info });
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const http = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
  }, handler);
  const { hostname, port } = await listening.promise;
  return {
    url: `http://${hostname}:${port}`,
    async close() {
      // Actor connections close with 1001 (going away): clients reconnect by themselves.
      await server.shutdown();
      await http.shutdown();
      gateway.close();
      await upstream.close();
    },
  };
}

if (import.meta.main) {
  const args = parseArgs({
    args: Deno.args,
    options: { memory: { type: "boolean", default: false }, "state-file": { type: "string" } },
  });
  const stateFile = args.values["state-file"] ?? Deno.env.get("DEMO_STATE_FILE") ??
    DEFAULT_STATE_FILE;
  const port = Number(Deno.env.get("PORT") ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be an integer from 0 to 65535, got "${Deno.env.get("PORT")}"`);
    Deno.exit(2);
  }
  const driver = await createDriver({ memory: args.values.memory, stateFile });
  const demo = await startDemo({
    port,
    hostname: Deno.env.get("HOST") ?? "127.0.0.1",
    driver,
  });
  console.log(`switchyard demo listening on ${demo.url}`);
  console.log(
    driver.persistent
      ? `driver: ${driver.label} (persistent, state in ${stateFile})`
      : `driver: ${driver.label} (nothing persists across restarts)`,
  );
  let stopping = false;
  // Graceful: new calls are refused (503 actor_stopped) while running actions finish and their
  // state is flushed, connections close with 1001 and the clients reconnect to the next server.
  // Whatever still hangs after SHUTDOWN_BOUND_MS is cut off.
  const SHUTDOWN_BOUND_MS = 10_000;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const bound = setTimeout(() => {
      console.error(`switchyard demo: shutdown took over ${SHUTDOWN_BOUND_MS} ms, exiting`);
      Deno.exit(1);
    }, SHUTDOWN_BOUND_MS);
    await demo.close();
    clearTimeout(bound);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
