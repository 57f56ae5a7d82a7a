/**
 * The memory driver: actors, their state and alarms live in this process's
 * memory. The zero-setup default for tests and development. Requests and
 * WebSockets reach the process's actor router directly (an in-process socket
 * pair for inline connections), and `local()` gives the inline client a
 * same-process fast path.
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
import { publicError } from "../src/common/errors.ts";
import { randomId } from "../src/common/ids.ts";
import { type SocketLike, socketPair } from "../src/common/socket.ts";
import type { ActorDriver } from "../src/actor/driver.ts";
import type { LoadedActor } from "../src/actor/driver.ts";
import type {
  ActorRecord,
  DriverContext,
  DriverFactory,
  ListActorsOptions,
  ManagerDriver,
} from "../src/manager/driver.ts";
import { HEADER_ACTOR_ID } from "../src/protocol/headers.ts";
import { type ActorKey, type ActorQuery, serializeKey } from "../src/protocol/query.ts";

/** Options of {@linkcode memoryDriver} (none yet; reserved for limits). */
export type MemoryDriverOptions = Record<string, never>;

/**
 * Creates the memory driver.
 *
 * @param _options Reserved.
 * @returns A driver factory for `createServer({ driver })`.
 */
export function memoryDriver(_options: MemoryDriverOptions = {}): DriverFactory {
  return {
    name: "memory",
    create(context) {
      const driver = new MemoryDriver(context);
      return { manager: driver, actor: driver };
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
  #live = new Map<string, LoadedActor>();
  #peeked = new WeakMap<ActorQuery, { id: string; live: LoadedActor }>();
  #loading = new Map<string, Promise<LoadedActor>>();
  #state = new Map<string, Uint8Array>();
  #alarms = new Map<string, ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(ctx: DriverContext) {
    this.#ctx = ctx;
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
    return Promise.resolve(this.#insert(name, key, input));
  }

  createActor(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord> {
    if (this.#byKey.has(keyOf(name, key))) {
      return Promise.reject(
        publicError("actor_already_exists", 409, `Actor "${name}" with this key already exists`, {
          key,
        }),
      );
    }
    return Promise.resolve(this.#insert(name, key, input));
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

  sendRequest(actorId: string, request: Request): Promise<Response> {
    return this.proxyRequest(request, actorId);
  }

  proxyRequest(request: Request, actorId: string): Promise<Response> {
    if (request.headers.get(HEADER_ACTOR_ID) !== actorId) {
      const headers = new Headers(request.headers);
      headers.set(HEADER_ACTOR_ID, actorId);
      request = new Request(request, { headers });
    }
    return this.#ctx.actorRouter.fetch(request);
  }

  openWebSocket(
    path: string,
    actorId: string,
    options: { headers: Headers; protocols?: string[] },
  ): Promise<SocketLike> {
    const [client, server] = socketPair(options.protocols?.[0] ?? "");
    const headers = new Headers(options.headers);
    headers.set(HEADER_ACTOR_ID, actorId);
    void this.#ctx.actorRouter.websocket(new Request(`http://actor${path}`, { headers }), server);
    return Promise.resolve(client);
  }

  proxyWebSocket(request: Request, actorId: string, socket: SocketLike): Promise<void> {
    if (request.headers.get(HEADER_ACTOR_ID) !== actorId) {
      const headers = new Headers(request.headers);
      headers.set(HEADER_ACTOR_ID, actorId);
      request = new Request(request.url, { headers });
    }
    return this.#ctx.actorRouter.websocket(request, socket);
  }

  local(actorId: string): Promise<LoadedActor> {
    return this.loadActor(actorId);
  }

  peekLocal(query: ActorQuery): LoadedActor | undefined {
    // The manager router hands over the same frozen query object for the same
    // header, so the last answer per object saves serialising the key again.
    const seen = this.#peeked.get(query);
    if (seen !== undefined && seen.live.running && this.#live.get(seen.id) === seen.live) {
      return seen.live;
    }
    let id: string | undefined;
    if ("getForId" in query) {
      const r = this.#byId.get(query.getForId.actorId);
      if (r?.name === query.getForId.name) id = r.actorId;
    } else if ("getForKey" in query) {
      id = this.#byKey.get(keyOf(query.getForKey.name, query.getForKey.key));
    } else if ("getOrCreateForKey" in query) {
      const q = query.getOrCreateForKey;
      id = this.#byKey.get(keyOf(q.name, q.key));
    }
    const live = id === undefined ? undefined : this.#live.get(id);
    if (!live?.running) return undefined;
    if (Object.isFrozen(query)) this.#peeked.set(query, { id: id!, live });
    return live;
  }

  loadActor(actorId: string): Promise<LoadedActor> {
    const live = this.#live.get(actorId);
    if (live) {
      if (live.running) return Promise.resolve(live);
      return live.whenStopped().then(() => {
        if (this.#live.get(actorId) === live) this.#live.delete(actorId);
        return this.loadActor(actorId);
      });
    }
    const pending = this.#loading.get(actorId);
    if (pending) return pending;
    if (this.#closed) {
      return Promise.reject(publicError("actor_stopped", 503, "Server is shutting down"));
    }
    const record = this.#byId.get(actorId);
    if (!record) return Promise.reject(publicError("actor_not_found", 404, "Actor is not found"));
    const instance = this.#ctx.createInstance(record, this);
    const started = instance.start().then(() => {
      this.#loading.delete(actorId);
      this.#live.set(actorId, instance);
      return instance;
    }, (err) => {
      this.#loading.delete(actorId);
      throw err;
    });
    this.#loading.set(actorId, started);
    return started;
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
    if (this.#closed) return Promise.resolve();
    const timer = setTimeout(() => {
      this.#alarms.delete(actorId);
      this.loadActor(actorId).then((a) => a.onAlarm()).catch((err) =>
        console.error("switchyard: alarm failed", err)
      );
    }, Math.max(0, at - Date.now()));
    this.#alarms.set(actorId, timer);
    return Promise.resolve();
  }

  deleteAlarm(actorId: string): Promise<void> {
    this.#clearAlarm(actorId);
    return Promise.resolve();
  }

  sleep(actorId: string): Promise<void> {
    this.#live.delete(actorId);
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#alarms.keys()]) this.#clearAlarm(id);
    await Promise.allSettled([...this.#loading.values()]);
    await Promise.allSettled([...this.#live.values()].map((a) => a.stop()));
    this.#live.clear();
  }

  /** Number of loaded actors. */
  get loaded(): number {
    return this.#live.size;
  }

  #insert(name: string, key: ActorKey, input: unknown): ActorRecord {
    if (!this.#ctx.hasActorType(name)) {
      throw publicError("actor_not_found", 404, `Actor type "${name}" is not defined`);
    }
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
