/**
 * Per-test set-up of the conformance suite: a server on the driver under
 * test, a client of the requested kind, and clean-up that satisfies Deno's
 * sanitizers (every connection closed, the HTTP server finished, the
 * switchyard server shut down).
 *
 * @module
 */
import type { DriverFactory } from "../manager_driver.ts";
import type { Server } from "../../registry/registry.ts";
import { ActorDispatch } from "../../manager/dispatch.ts";
import {
  type ActorHandleMethods,
  type Client,
  type ClientDriver,
  type ClientOptions,
  createClientWithDriver,
  createRemoteDriver,
} from "../../client/mod.ts";
import { InlineClientDriver } from "../../registry/inline_driver.ts";
import { registry, type SuiteRegistry } from "./fixtures.ts";

/** The ways in the suite runs every behaviour over. */
export type ClientKind = "inline" | "remote-http" | "remote-ws" | "remote-sse";

/** Every client kind, in run order. */
export const CLIENT_KINDS: readonly ClientKind[] = [
  "inline",
  "remote-http",
  "remote-ws",
  "remote-sse",
];

/** Capabilities a driver may lack; a driver test skips them with a reason. */
export type Capability = "alarms" | "sleep" | "rawWebSocket" | "reconnect" | "persistence";

/**
 * Opens the driver again on the storage of `previous` (a persistent driver's
 * restart): what `DriverSuiteOptions.reopen` returns.
 */
export type Reopen = (previous: DriverFactory) => DriverFactory | Promise<DriverFactory>;

/** The typed client of the suite's registry. */
export type SuiteClient = Client<SuiteRegistry>;

/** Something that calls actions: a handle (stateless) or a connection. */
export type Caller<H> = Omit<H, keyof ActorHandleMethods>;

/** A client whose reconnects can be held back, so events are missed on purpose. */
export interface GatedClient {
  /** The client. */
  client: SuiteClient;
  /** From now on, resume attempts wait until {@linkcode GatedClient.release}. */
  hold(): void;
  /** Lets waiting and future resume attempts through. */
  release(): void;
}

/** What a test case receives. */
export interface SuiteContext {
  /** The client kind under test. */
  kind: ClientKind;
  /** True for the remote kinds (HTTP, WebSocket, SSE through the manager router). */
  remote: boolean;
  /** A client of this kind. */
  client: SuiteClient;
  /** The server under test. */
  server: Server<SuiteRegistry>;
  /** A fresh, unique key. */
  key(): string[];
  /**
   * Actions the way this kind runs them: the handle itself for `inline`,
   * and `remote-http`; a ready connection for `remote-ws`
   * and `remote-sse`.
   */
  caller<H extends { connect(params?: unknown): unknown }>(
    handle: H,
    params?: unknown,
  ): Promise<Caller<H>>;
  /**
   * A second client of the same kind with extra options (remote kinds:
   * headers too). Disposed at the end of the test.
   */
  otherClient(options?: ClientOptions & { headers?: Record<string, string> }): SuiteClient;
  /** A client of this kind whose resume attempts can be held back. */
  gatedClient(): GatedClient;
  /**
   * Shuts the server down and starts a new one on the same storage (the
   * `reopen` option); remote clients keep their endpoint, `client` and
   * `server` name the new server afterwards. Only for `persistence` cases.
   */
  restart(): Promise<void>;
}

/** A test case of a behaviour group. */
export interface SuiteCase {
  /** What a user would notice. */
  name: string;
  /** Capabilities it needs. */
  needs?: Capability[];
  /** Only these kinds (default: every kind). */
  kinds?: readonly ClientKind[];
  /** The test. */
  fn(ctx: SuiteContext): Promise<void>;
}

/** A named group of cases. */
export interface SuiteGroup {
  /** Group name, e.g. "actions". */
  name: string;
  /** The cases. */
  cases: SuiteCase[];
}

const REMOTE: Record<string, { encoding: "json" | "cbor"; transport: "websocket" | "sse" }> = {
  "remote-http": { encoding: "json", transport: "websocket" },
  "remote-ws": { encoding: "cbor", transport: "websocket" },
  "remote-sse": { encoding: "cbor", transport: "sse" },
};

/** A guard against hangs (a failure, not a synchronisation point). */
const CASE_TIMEOUT_MS = 10_000;

/** Fast reconnects for tests (no waiting on backoff). */
const TEST_RECONNECT = { initialDelay: 1, maxDelay: 20, jitter: 0, maxAttempts: 10 };

function gate(driver: ClientDriver): { driver: ClientDriver; hold(): void; release(): void } {
  let held: Promise<void> | undefined;
  let open = () => {};
  return {
    driver: {
      resolve: (q, s) => driver.resolve(q, s),
      action: (q, n, a, o) => driver.action(q, n, a, o),
      fetch: (q, p, i) => driver.fetch(q, p, i),
      websocket: (q, p, pr) => driver.websocket(q, p, pr),
      async connect(q, o) {
        if (o.resume && held) await held;
        return driver.connect(q, o);
      },
      dispose: () => driver.dispose?.(),
    },
    hold() {
      held ??= new Promise<void>((r) => (open = r));
    },
    release() {
      open();
      held = undefined;
    },
  };
}

/**
 * Runs one test case with a fresh server and client of `kind`.
 *
 * @param kind The client kind.
 * @param makeDriver Builds the driver under test.
 * @param fn The test.
 * @param options `reopen`: opens the driver again on the same storage (for
 *   restart cases); `serve`: where remote kinds send their requests, when a
 *   test serves the suite's registry itself (default: a server started here).
 */
export async function withHarness(
  kind: ClientKind,
  makeDriver: () => DriverFactory | Promise<DriverFactory>,
  fn: (ctx: SuiteContext) => Promise<void>,
  options: { reopen?: Reopen; serve?: () => string | Promise<string> } = {},
): Promise<void> {
  const { reopen, serve } = options;
  let driver = await makeDriver();
  let server = registry.createServer({ driver, logger: () => {} });
  const remote = kind in REMOTE;
  let http: Deno.HttpServer | undefined;
  let endpoint = "";
  if (remote && serve) endpoint = await serve();
  else if (remote) {
    const listening = Promise.withResolvers<Deno.NetAddr>();
    http = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
      },
      (req) => server.fetch(req), // the current server, also after a restart
    );
    const addr = await listening.promise;
    endpoint = `http://127.0.0.1:${addr.port}`;
  }
  const clients: SuiteClient[] = [];
  const baseOptions: ClientOptions = { ...REMOTE[kind], reconnect: TEST_RECONNECT };
  const makeDriverFor = (headers?: Record<string, string>): ClientDriver =>
    remote
      ? createRemoteDriver(endpoint, { headers })
      : new InlineClientDriver(new ActorDispatch(server.manager), {
        hasActorType: (name) => Object.hasOwn(registry.actors, name),
      });
  const newClient = (options: ClientOptions & { headers?: Record<string, string> } = {}) => {
    const { headers, ...rest } = options;
    const c = createClientWithDriver<SuiteRegistry>(makeDriverFor(headers), {
      ...baseOptions,
      ...rest,
    });
    clients.push(c);
    return c;
  };
  const remoteClient = remote ? newClient() : undefined;
  const ctx: SuiteContext = {
    kind,
    remote,
    get client() {
      return remoteClient ?? server.client;
    },
    get server() {
      return server;
    },
    key: () => [crypto.randomUUID()],
    async caller(handle, params) {
      if (kind !== "remote-ws" && kind !== "remote-sse") return handle as never;
      const conn = handle.connect(params) as { ready(): Promise<string> };
      await conn.ready();
      return conn as never;
    },
    otherClient: (options) => newClient(options),
    gatedClient() {
      const g = gate(makeDriverFor());
      const c = createClientWithDriver<SuiteRegistry>(g.driver, baseOptions);
      clients.push(c);
      return { client: c, hold: g.hold, release: g.release };
    },
    async restart() {
      if (!reopen) throw new Error("This driver has no reopen option");
      await server.shutdown();
      driver = await reopen(driver);
      server = registry.createServer({ driver, logger: () => {} });
    },
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Test did not finish within ${CASE_TIMEOUT_MS} ms (kind "${kind}")`)),
      CASE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([fn(ctx), guard]);
  } finally {
    clearTimeout(timer);
    await Promise.allSettled(clients.map((c) => c.dispose()));
    if (http) {
      await http.shutdown();
      await http.finished;
    }
    await server.shutdown();
  }
}
