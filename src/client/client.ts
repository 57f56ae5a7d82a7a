/**
 * The client core: typed accessors per actor name over any
 * {@linkcode ClientDriver}. The remote client ({@linkcode createClient}) and
 * the inline client (`server.client`) are both this core over different
 * drivers, so they behave the same.
 *
 * @module
 */
import type { Encoding } from "../common/encoding.ts";
import { checkKey } from "../protocol/query.ts";
import { type ReconnectOptions, resolveReconnect } from "./backoff.ts";
import { type ActorHandle, createHandle, type HandleContext } from "./actor_handle.ts";
import type { ClientDriver, ConnTransport } from "./client_driver.ts";
import type { RegistryShape, UntypedRegistry } from "./client_types.ts";

/** An actor key: one string, or an ordered list of strings. Equal lists name the same actor. */
export type ActorKeyInput = string | readonly string[];

/** Options shared by every client. */
export interface ClientOptions {
  /** Encoding of action bodies and connection frames. @default {"json"} */
  encoding?: Encoding;
  /**
   * Transport of connections: WebSocket first with SSE (and message posts) as
   * the fallback when WebSockets do not get through (`"auto"`), or only one
   * of them. @default {"auto"}
   */
  transport?: ConnTransport;
  /** Reconnect policy of connections; `false` never reconnects. */
  reconnect?: ReconnectOptions | false;
  /**
   * A connection that received nothing from the server for this many
   * milliseconds (quiet servers are pinged first) drops its transport and
   * resumes. 0 turns the heartbeat off. @default {30000}
   */
  heartbeatTimeout?: number;
}

/** Options of {@linkcode ActorAccessor.get} and {@linkcode ActorAccessor.getForId}. */
export interface HandleOptions {
  /** Default connection parameters for `handle.connect()`. */
  params?: unknown;
}

/** Options of {@linkcode ActorAccessor.getOrCreate} and {@linkcode ActorAccessor.create}. */
export interface CreateOptions extends HandleOptions {
  /** Creation input, passed to `createState` and `onCreate` when the actor is created. */
  input?: unknown;
}

/** The entry point for one actor type: `client.counter`. */
export interface ActorAccessor<D = unknown> {
  /**
   * A handle to an existing actor by key. Nothing is sent yet; calls on a
   * missing actor reject with `actor_not_found`.
   *
   * @param key The key (`[]` when omitted).
   * @param options Default connection parameters.
   * @returns The handle.
   * @throws {SwitchyardError} `invalid_query` when the key is not a short list of short strings.
   */
  get(key?: ActorKeyInput, options?: HandleOptions): ActorHandle<D>;
  /**
   * A handle that creates the actor on first use if no actor has this key
   * (atomic: equal keys always reach the same actor).
   *
   * @param key The key (`[]` when omitted).
   * @param options Creation input and default connection parameters.
   * @returns The handle.
   * @throws {SwitchyardError} `invalid_query` for a bad key.
   */
  getOrCreate(key?: ActorKeyInput, options?: CreateOptions): ActorHandle<D>;
  /**
   * Creates a new actor now and returns a handle bound to its id.
   *
   * @param key The key (`[]` when omitted).
   * @param options Creation input and default connection parameters.
   * @returns A handle that names the new actor by id.
   * @throws {SwitchyardError} `actor_already_exists` when the key is taken, `invalid_query` for a bad key.
   */
  create(key?: ActorKeyInput, options?: CreateOptions): Promise<ActorHandle<D>>;
  /**
   * A handle to an existing actor by id.
   *
   * @param actorId The id (from `handle.resolve()` or `c.actorId`).
   * @param options Default connection parameters.
   * @returns The handle.
   */
  getForId(actorId: string, options?: HandleOptions): ActorHandle<D>;
}

/** Methods of the client itself (an actor named `dispose` is not reachable by property). */
export interface ClientMethods {
  /**
   * Closes every connection and raw WebSocket this client opened, then
   * releases the driver.
   *
   * @returns When everything is closed.
   */
  dispose(): Promise<void>;
}

/**
 * A typed client: one {@linkcode ActorAccessor} per actor of the registry
 * `R`, whose handles have one method per action with the context parameter
 * dropped: `(c, ...args: A) => R` becomes `(...args: A) => Promise<Awaited<R>>`.
 */
export type Client<R extends RegistryShape = UntypedRegistry> =
  & { readonly [K in keyof R["actors"] & string]: ActorAccessor<R["actors"][K]> }
  & ClientMethods;

function toKey(key: ActorKeyInput | undefined): string[] {
  return key === undefined ? [] : [...checkKey(typeof key === "string" ? key : [...key])];
}

function accessor<D>(ctx: HandleContext, name: string): ActorAccessor<D> {
  return {
    get: (key, options) =>
      createHandle<D>(ctx, { getForKey: { name, key: toKey(key) } }, options?.params),
    getOrCreate: (key, options) =>
      createHandle<D>(
        ctx,
        { getOrCreateForKey: { name, key: toKey(key), input: options?.input } },
        options?.params,
      ),
    create: async (key, options) => {
      const actorId = await ctx.driver.resolve({
        create: { name, key: toKey(key), input: options?.input },
      });
      return createHandle<D>(ctx, { getForId: { name, actorId } }, options?.params);
    },
    getForId: (actorId, options) => {
      if (typeof actorId !== "string" || actorId === "") {
        throw new TypeError(`Actor id must be a non-empty string, got ${JSON.stringify(actorId)}`);
      }
      return createHandle<D>(ctx, { getForId: { name, actorId } }, options?.params);
    },
  };
}

/**
 * Builds a client over a driver. The remote client and the inline client
 * (`server.client`) are this function over their own drivers.
 *
 * @param driver How to reach actors.
 * @param options Encoding, transport and reconnect policy.
 * @returns The client.
 * @throws {RangeError} When the reconnect options are out of range.
 *
 * @example Over the remote driver, sending HTTP to an in-process server
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * import { createClientWithDriver, createRemoteDriver } from "@switchyard/core/client";
 *
 * const counter = actor({
 *   state: { count: 0 },
 *   onAuth: () => {},
 *   actions: { increment: (c, by: number) => (c.state.count += by) },
 * });
 * const registry = setup({ use: { counter } });
 * const server = registry.createServer({ driver: memoryDriver() });
 * const driver = createRemoteDriver("http://switchyard.test", { fetch: server.fetch });
 * const client = createClientWithDriver<typeof registry>(driver, { encoding: "cbor" });
 * console.assert((await client.counter.getOrCreate("a").increment(1)) === 1);
 * await client.dispose();
 * await server.shutdown();
 * ```
 */
export function createClientWithDriver<R extends RegistryShape = UntypedRegistry>(
  driver: ClientDriver,
  options: ClientOptions = {},
): Client<R> {
  const resources = new Set<{ dispose(): Promise<void> }>();
  const ctx: HandleContext = {
    driver,
    encoding: options.encoding ?? "json",
    transport: options.transport ?? "auto",
    reconnect: resolveReconnect(options.reconnect),
    heartbeatTimeout: options.heartbeatTimeout ?? 30_000,
    track(resource) {
      resources.add(resource);
      return () => resources.delete(resource);
    },
  };
  if (ctx.encoding !== "json" && ctx.encoding !== "cbor") {
    throw new RangeError(`Encoding must be "json" or "cbor", got "${ctx.encoding}"`);
  }
  const beat = ctx.heartbeatTimeout;
  if (typeof beat !== "number" || !(beat >= 0) || !Number.isFinite(beat)) {
    throw new RangeError(`Heartbeat timeout must be a finite number ≥ 0, got ${beat}`);
  }
  if (!["auto", "websocket", "sse"].includes(ctx.transport)) {
    throw new RangeError(
      `Transport must be "auto", "websocket" or "sse", got "${ctx.transport}"`,
    );
  }
  const accessors = new Map<string, ActorAccessor<unknown>>();
  const methods: ClientMethods = {
    async dispose() {
      const all = [...resources];
      resources.clear();
      await Promise.allSettled(all.map((r) => r.dispose()));
      await driver.dispose?.();
    },
  };
  return new Proxy(methods, {
    get(target, prop) {
      if (typeof prop === "symbol" || prop in target) return Reflect.get(target, prop);
      if (prop === "then" || prop === "toJSON") return undefined;
      let a = accessors.get(prop);
      if (!a) accessors.set(prop, a = accessor(ctx, prop));
      return a;
    },
  }) as Client<R>;
}
