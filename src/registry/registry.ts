/**
 * `setup({ use })` and `registry.createServer({ driver })`: the registry of
 * actor types and the server that serves them (manager router, actor router,
 * driver, inline client).
 *
 * @module
 */
import * as z from "zod/mini";
import { parseConfig } from "../common/parse_config.ts";
import { DEFAULT_MAX_BODY_SIZE } from "../common/body.ts";
import { SwitchyardError } from "../common/errors.ts";
import { ActorDefinition, type AnyActorDefinition } from "../actor/definition.ts";
import type { Logger } from "../actor/context.ts";
import { ActorInstance } from "../actor/instance.ts";
import { createActorRouter } from "../actor/router.ts";
import { type Client, createClientWithDriver } from "../client/client.ts";
import type { ActorDriver } from "../driver/actor_driver.ts";
import type { DriverFactory, ManagerDriver } from "../driver/manager_driver.ts";
import { ActorDispatch } from "../manager/dispatch.ts";
import { forwardingHandlers } from "../manager/forwarding.ts";
import { type CorsOptions, createManagerRouter, type ManagerRouter } from "../manager/router.ts";
import { detectUpgrader, type Upgrader } from "../runtime/upgrade.ts";
import { InlineClientDriver } from "./inline_driver.ts";
import { MessageRouter } from "../messaging/message_router.ts";
import type { ServerMessagingOptions } from "../messaging/types.ts";
import { Metrics } from "../manager/metrics.ts";

/** Options of {@linkcode Registry.createServer}. */
export interface ServerOptions {
  /** The driver, e.g. `memoryDriver()`. */
  driver: DriverFactory;
  /** Largest request body or WebSocket frame, bytes. @default {1048576} */
  maxBodySize?: number;
  /** CORS for browsers on other origins; off by default. */
  cors?: CorsOptions;
  /** Bearer token for `GET /actors`; the listing is off without it. */
  operatorToken?: string;
  /**
   * Least level the built-in logger writes. @default {"info"}
   */
  logLevel?: "debug" | "info" | "warn" | "error";
  /**
   * Format of the built-in logger: one line of text, or one JSON object per
   * line (`{"time","level","msg",...data}`) for log collectors.
   * @default {"text"}
   */
  logFormat?: "text" | "json";
  /** Where logs go instead of the built-in logger (`logLevel` does not apply). */
  logger?: (
    level: "debug" | "info" | "warn" | "error",
    message: string,
    data: Record<string, unknown>,
  ) => void;
  /** The message router: mailbox capacity, default timeout, `/messages` auth hook. */
  messaging?: ServerMessagingOptions;
}

const fn = z.custom<(...a: unknown[]) => unknown>((v) => typeof v === "function");
const optionalFn = z.optional(fn);
const optionalNumber = (...checks: z.core.$ZodCheck<number>[]) =>
  z.optional(z.number().check(...checks));
const serverSchema = z.strictObject({
  driver: z.looseObject({ name: z.string(), create: fn }),
  maxBodySize: z._default(
    z.number().check(z.int(), z.positive(), z.maximum(1024 ** 3)),
    DEFAULT_MAX_BODY_SIZE,
  ),
  cors: z.optional(z.strictObject({
    origin: z.union([z.string(), z.array(z.string()), fn]),
    credentials: z.optional(z.boolean()),
    maxAge: optionalNumber(z.int(), z.nonnegative()),
  })),
  operatorToken: z.optional(z.string().check(z.minLength(16))),
  logger: optionalFn,
  logLevel: z._default(z.enum(["debug", "info", "warn", "error"]), "info"),
  logFormat: z._default(z.enum(["text", "json"]), "text"),
  messaging: z.optional(z.strictObject({
    mailboxCapacity: optionalNumber(z.int(), z.positive()),
    defaultTimeout: optionalNumber(z.positive()),
    auth: optionalFn,
    onDeadLetter: optionalFn,
    heartbeatTimeout: optionalNumber(z.minimum(60)),
    maxBufferedBytes: optionalNumber(z.int(), z.positive()),
  })),
});

/** A running server: `fetch` for the host, `client` for server code. */
export interface Server<R extends Registry = Registry> {
  /**
   * Serves a request (Deno.serve, Workers `fetch`, the Node adapter). `env`
   * may carry `upgradeWebSocket` where the runtime has no built-in upgrade.
   */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** The inline client: same API as the remote client, no HTTP, no `onAuth`. */
  readonly client: Client<R>;
  /** The manager driver (for the gateway's `actor://` targets and tools). */
  readonly manager: ManagerDriver;
  /** The message router: every running actor is registered under its actor id. */
  readonly messaging: MessageRouter;
  /**
   * Adds more Prometheus text to this server's `GET /metrics` (a mounted
   * route proxy's counters: `createGateway(server, ...)` of
   * `@switchyard/core/gateway` calls it).
   *
   * @param render Returns exposition text ending with a newline.
   */
  includeMetrics(render: () => string): void;
  /** Stops every actor (state flushed) and the driver. */
  shutdown(): Promise<void>;
}

/** Actor types by name. */
export type ActorTypes = Record<string, AnyActorDefinition>;

/**
 * The registry of actor types.
 *
 * @example A registry holds the actor types by name
 * ```ts
 * import { actor, Registry, setup } from "@switchyard/core";
 * const counter = actor({ state: { count: 0 }, actions: {} });
 * const registry = setup({ use: { counter } });
 * console.assert(registry instanceof Registry);
 * console.assert(registry.actors.counter === counter);
 * ```
 */
export class Registry<TActors extends ActorTypes = ActorTypes> {
  /** Actor definitions by name. */
  readonly actors: TActors;

  /**
   * Holds the actor types; use {@linkcode setup} to make one.
   *
   * @param actors Actor definitions by name.
   */
  constructor(actors: TActors) {
    this.actors = actors;
  }

  /**
   * Creates a server with a driver.
   *
   * @param options Driver and settings.
   * @returns The server.
   * @throws {SwitchyardError} `invalid_config` for unknown or invalid options.
   *
   * @example A server on the memory driver, answering over HTTP in-process
   * ```ts
   * import { actor, setup } from "@switchyard/core";
   * import { memoryDriver } from "@switchyard/core/drivers/memory";
   * const counter = actor({ state: { count: 0 }, actions: {} });
   * const server = setup({ use: { counter } }).createServer({ driver: memoryDriver() });
   * const res = await server.fetch(new Request("http://127.0.0.1/nowhere"));
   * console.assert(res.status === 404);
   * await res.body?.cancel();
   * await server.shutdown();
   * ```
   */
  createServer(options: ServerOptions): Server<this> {
    const parsed = parseConfig(serverSchema, options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SwitchyardError(
        "invalid_config",
        `Server options are invalid at "${issue?.path.join(".") ?? ""}": ${issue?.message}`,
      );
    }
    const log = options.logger ?? consoleLogger(parsed.data.logLevel, parsed.data.logFormat);
    return createServer(this, options, parsed.data.maxBodySize, log);
  }
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;
type Level = keyof typeof LEVELS;

/**
 * The built-in logger: `console` at `level` and above, as text or JSON lines.
 *
 * @param level Least level written.
 * @param format Text or JSON lines.
 * @returns The logger.
 */
function consoleLogger(
  level: Level,
  format: "text" | "json",
): (level: Level, message: string, data: Record<string, unknown>) => void {
  const least = LEVELS[level];
  return (level, message, data) => {
    if (LEVELS[level] < least) return;
    const method = level === "debug" ? "log" : level;
    if (format === "json") {
      console[method](
        JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...data }),
      );
    } else console[method](`switchyard ${level}: ${message}`, data);
  };
}

function createServer<R extends Registry>(
  registry: R,
  options: ServerOptions,
  maxBodySize: number,
  log: NonNullable<ServerOptions["logger"]>,
): Server<R> {
  const defs = registry.actors;
  const has = (name: string) => Object.hasOwn(defs, name);
  const metrics = new Metrics();
  // Instances of this process that serve (for gauges and the operator listing).
  const live = new Map<string, ActorInstance>();
  // Filled in below, once the driver exists (the router and instances need them first).
  const late: {
    client?: Client<R>;
    loadActor?: (id: string) => Promise<ActorInstance>;
    dispatch?: ActorDispatch;
  } = {};
  const loadActor = (id: string) => late.loadActor!(id);
  const actorRouter = createActorRouter({ loadActor, maxBodySize });
  // A message to an actor hosted here that is not loaded (or sleeps) loads it, and its
  // start() registers it. Actors hosted elsewhere get a forwarding participant.
  const mo = options.messaging ?? {};
  const messaging = new MessageRouter({
    mailboxCapacity: mo.mailboxCapacity,
    defaultTimeout: mo.defaultTimeout,
    onDeadLetter: mo.onDeadLetter ??
      ((l) =>
        log("warn", "Message was not handled", {
          target: l.target,
          from: l.from,
          code: l.error.code,
        })),
    resolve: async (id) => {
      const host = late.dispatch!.hosted(id);
      if (host === null) return forwardingHandlers(late.dispatch!, id);
      // Every instance a driver hosts came from `createInstance` below.
      let instance = (await host) as ActorInstance;
      if (!instance.running) instance = await loadActor(id); // it was going to sleep: load anew
      instance.attachMessaging();
      return null; // registered by attachMessaging, or actor_not_found
    },
  });
  const host = {
    messaging,
    client: () => late.client!,
    logger(name: string, actorId: string): Logger {
      const tag = { actor: name, actorId };
      return {
        debug: (m, d) => log("debug", m, { ...tag, ...d }),
        info: (m, d) => log("info", m, { ...tag, ...d }),
        warn: (m, d) => log("warn", m, { ...tag, ...d }),
        error: (m, d) => log("error", m, { ...tag, ...d }),
      };
    },
    onAction: (name: string, ok: boolean, ms: number) => metrics.action(name, ok, ms),
    onStateWrite: (ok: boolean, ms: number, bytes: number) => metrics.stateWrite(ok, ms, bytes),
    onLifecycle(instance: ActorInstance, event: "started" | "stopped") {
      const id = instance.record.actorId;
      if (event === "started") live.set(id, instance);
      else if (live.get(id) === instance) live.delete(id);
    },
    durableByDefault: false,
  };
  const { manager, actor, durableByDefault } = options.driver.create({
    actorRouter,
    hasActorType: has,
    log: (level, message, data) => log(level, message, { ...data }),
    createInstance: (record, driver: ActorDriver) => {
      const def = defs[record.name];
      if (!def) {
        throw new SwitchyardError("actor_not_found", `Actor type "${record.name}" is not defined`, {
          status: 404,
          public: true,
        });
      }
      return new ActorInstance(record, def.config, driver, host);
    },
  });
  host.durableByDefault = durableByDefault === true;
  // Every instance a driver holds came from `createInstance` above, so it is an ActorInstance.
  const dispatch = late.dispatch = new ActorDispatch(manager);
  late.loadActor = (id) => actor.loadActor(id) as Promise<ActorInstance>;
  const router: ManagerRouter = createManagerRouter({
    manager,
    dispatch,
    definitions: defs,
    maxBodySize,
    cors: options.cors,
    operatorToken: options.operatorToken,
    upgrader: detectUpgrader(),
    metrics,
    messaging: {
      router: messaging,
      auth: mo.auth,
      heartbeatTimeout: mo.heartbeatTimeout,
      maxBufferedBytes: mo.maxBufferedBytes,
    },
    inspect: (id) => live.get(id)?.describe(),
  });
  metrics.watch({
    actorsLoaded: () => live.size,
    connectionsOpen: () => {
      let n = 0;
      for (const a of live.values()) n += a.describe().connections;
      return n;
    },
    mailboxDepth: () => messaging.stats.queued,
  });
  const client = late.client = createClientWithDriver<R>(
    new InlineClientDriver(dispatch, { hasActorType: has }),
  );
  const fetch = (request: Request, env?: unknown) =>
    router.fetch(request, env as { upgradeWebSocket?: Upgrader });
  return {
    fetch,
    client,
    manager,
    messaging,
    includeMetrics(render) {
      metrics.include(render);
    },
    async shutdown() {
      await client.dispose();
      await manager.shutdown();
    },
  };
}

/**
 * Creates the registry of actor types.
 *
 * @param config `use`: actor definitions by name.
 * @returns The registry.
 * @throws {SwitchyardError} `invalid_config` when a value is not an actor definition or a name is invalid.
 *
 * @example A registry with one actor on the memory driver
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * const counter = actor({
 *   state: { count: 0 },
 *   actions: { increment: (c, by: number) => (c.state.count += by) },
 * });
 * const server = setup({ use: { counter } }).createServer({ driver: memoryDriver() });
 * console.assert((await server.client.counter.getOrCreate(["a"]).increment(2)) === 2);
 * await server.shutdown();
 * ```
 */
export function setup<TActors extends ActorTypes>(config: { use: TActors }): Registry<TActors> {
  const use = config?.use;
  if (typeof use !== "object" || use === null) {
    throw new SwitchyardError("invalid_config", 'Registry needs "use": actor definitions by name');
  }
  for (const [name, def] of Object.entries(use)) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
      throw new SwitchyardError(
        "invalid_config",
        `Actor name "${name}" must be 1 to 64 letters, digits, "-" or "_"`,
      );
    }
    if (!(def instanceof ActorDefinition)) {
      throw new SwitchyardError("invalid_config", `Actor "${name}" is not made by actor()`);
    }
  }
  return new Registry(use);
}
