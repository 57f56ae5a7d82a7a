/**
 * The memory driver: actors, their state and alarms live in this process's
 * memory. The zero-setup default for tests and development; nothing
 * survives a restart. Every actor is hosted here, so `local()` always
 * answers with the instance, and requests and WebSockets reach this
 * process's actor router directly (an in-process socket pair for inline
 * connections).
 *
 * @example
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * const echo = actor({ actions: { echo: (_c, v: string) => v } });
 * const server = setup({ use: { echo } }).createServer({ driver: memoryDriver() });
 * console.assert((await server.client.echo.getOrCreate("a").echo("hi")) === "hi");
 * await server.shutdown();
 * ```
 *
 * @module
 */
import {
  actorAlreadyExists,
  type ActorDriver,
  actorNotFound,
  type ActorRecord,
  type DriverContext,
  type DriverFactory,
  type ListActorsOptions,
  type LoadedActor,
  LocalActors,
  type ManagerDriver,
  type OpenWebSocketOptions,
  randomId,
  serializeKey,
  type SocketLike,
} from "../src/driver/mod.ts";
import type { ActorKey } from "../src/protocol/query.ts";

/** Options of {@linkcode memoryDriver} (none yet; reserved for limits). */
export type MemoryDriverOptions = Record<string, never>;

/**
 * Creates the memory driver.
 *
 * @param _options Reserved.
 * @returns A driver factory for `createServer({ driver })`.
 *
 * @example Each memory driver holds its own actors, and nothing outlives the server
 * ```ts
 * import { actor, setup } from "@switchyard/core";
 * import { memoryDriver } from "@switchyard/core/drivers/memory";
 * const counter = actor({
 *   state: { count: 0 },
 *   actions: { increment: (c) => ++c.state.count },
 * });
 * const registry = setup({ use: { counter } });
 *
 * const first = registry.createServer({ driver: memoryDriver() });
 * console.assert((await first.client.counter.getOrCreate(["a"]).increment()) === 1);
 * await first.shutdown();
 *
 * const second = registry.createServer({ driver: memoryDriver() });
 * console.assert((await second.client.counter.getOrCreate(["a"]).increment()) === 1);
 * await second.shutdown();
 * ```
 */
export function memoryDriver(_options: MemoryDriverOptions = {}): DriverFactory {
  return {
    name: "memory",
    create(context) {
      const driver = new MemoryDriver(context);
      return { manager: driver, actor: driver, durableByDefault: false };
    },
  };
}

function keyOf(name: string, key: ActorKey): string {
  return `${name}\u0000${serializeKey(key)}`;
}

/** Both driver halves over in-memory maps. */
class MemoryDriver implements ManagerDriver, ActorDriver {
  #ctx: DriverContext;
  #byId = new Map<string, ActorRecord>();
  #byKey = new Map<string, string>();
  #state = new Map<string, Uint8Array>();
  #alarms = new Map<string, ReturnType<typeof setTimeout>>();
  #actors: LocalActors;

  constructor(ctx: DriverContext) {
    this.#ctx = ctx;
    this.#actors = new LocalActors(ctx, this, (id) => this.#byId.get(id));
  }

  getForId(name: string, actorId: string): Promise<ActorRecord | undefined> {
    const r = this.#byId.get(actorId);
    return Promise.resolve(r && r.name === name ? r : undefined);
  }

  getWithKey(name: string, key: ActorKey): Promise<ActorRecord | undefined> {
    const id = this.#byKey.get(keyOf(name, key));
    return Promise.resolve(id === undefined ? undefined : this.#byId.get(id));
  }

  getOrCreateWithKey(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord> {
    // Atomic: no await between the lookup and the insert.
    const id = this.#byKey.get(keyOf(name, key));
    if (id !== undefined) return Promise.resolve(this.#byId.get(id)!);
    try {
      return Promise.resolve(this.#insert(name, key, input));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  createActor(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord> {
    if (this.#byKey.has(keyOf(name, key))) return Promise.reject(actorAlreadyExists(name, key));
    try {
      return Promise.resolve(this.#insert(name, key, input));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  listActors(options: ListActorsOptions = {}): Promise<ActorRecord[]> {
    const limit = options.limit ?? 100;
    const out: ActorRecord[] = [];
    for (const r of this.#byId.values()) {
      if (out.length >= limit) break;
      if (options.name === undefined || r.name === options.name) out.push(r);
    }
    return Promise.resolve(out);
  }

  local(actorId: string): LoadedActor | Promise<LoadedActor> {
    return this.#actors.get(actorId);
  }

  sendRequest(actorId: string, request: Request): Promise<Response> {
    return this.#actors.fetch(actorId, request);
  }

  proxyRequest(actorId: string, request: Request): Promise<Response> {
    return this.#actors.fetch(actorId, request);
  }

  openWebSocket(
    actorId: string,
    path: string,
    options: OpenWebSocketOptions,
  ): Promise<SocketLike> {
    return Promise.resolve(this.#actors.openWebSocket(actorId, path, options));
  }

  proxyWebSocket(actorId: string, request: Request, socket: SocketLike): Promise<void> {
    return this.#actors.websocket(actorId, request, socket);
  }

  loadActor(actorId: string): Promise<LoadedActor> {
    return this.#actors.load(actorId);
  }

  readState(actorId: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#state.get(actorId));
  }

  writeState(actorId: string, bytes: Uint8Array): Promise<void> {
    this.#state.set(actorId, bytes);
    return Promise.resolve();
  }

  setAlarm(actorId: string, at: number): Promise<void> {
    this.#clearAlarm(actorId);
    if (this.#actors.closed) return Promise.resolve();
    const timer = setTimeout(() => {
      this.#alarms.delete(actorId);
      void this.#actors.fireAlarm(actorId);
    }, Math.max(0, at - Date.now()));
    this.#alarms.set(actorId, timer);
    return Promise.resolve();
  }

  deleteAlarm(actorId: string): Promise<void> {
    this.#clearAlarm(actorId);
    return Promise.resolve();
  }

  sleep(actorId: string): Promise<void> {
    this.#actors.unload(actorId);
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    for (const id of [...this.#alarms.keys()]) this.#clearAlarm(id);
    await this.#actors.close();
  }

  /** Number of loaded actors. */
  get loaded(): number {
    return this.#actors.size;
  }

  #insert(name: string, key: ActorKey, input: unknown): ActorRecord {
    if (!this.#ctx.hasActorType(name)) throw actorNotFound(`Actor type "${name}" is not defined`);
    const record: ActorRecord = { actorId: randomId(), name, key: [...key], createdAt: Date.now() };
    if (input !== undefined) record.input = input;
    this.#byId.set(record.actorId, record);
    this.#byKey.set(keyOf(name, key), record.actorId);
    return record;
  }

  #clearAlarm(actorId: string): void {
    const t = this.#alarms.get(actorId);
    if (t !== undefined) clearTimeout(t);
    this.#alarms.delete(actorId);
  }
}
