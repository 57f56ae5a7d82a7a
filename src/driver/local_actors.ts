/**
 * `LocalActors`: the part every driver that hosts actors in this process
 * shares (memory, kv): loading each actor once, keeping it while it runs,
 * unloading it when it sleeps, firing its alarm, stopping all of them, and
 * carrying requests and WebSockets to this process's actor router.
 *
 * @module
 */
import type { SocketLike } from "../common/socket.ts";
import { socketPair } from "../common/socket.ts";
import { HEADER_ACTOR_ID } from "../protocol/headers.ts";
import type { ActorDriver, LoadedActor } from "./actor_driver.ts";
import type { ActorRecord } from "./actor_record.ts";
import { actorNotFound, actorStopped } from "./driver_errors.ts";
import type { DriverContext, OpenWebSocketOptions } from "./manager_driver.ts";

/**
 * Live actors of one driver in this process.
 *
 * The example is a fragment of a driver class, so it is not run; the memory
 * driver (`drivers/memory.ts`) is a complete driver built on this class.
 *
 * @example The actor half of a driver that hosts its actors here
 * ```ts ignore
 * class MyDriver implements ManagerDriver, ActorDriver {
 *   #actors = new LocalActors(context, this, (id) => this.#records.get(id));
 *   local(actorId: string) { return this.#actors.get(actorId); }
 *   loadActor(actorId: string) { return this.#actors.load(actorId); }
 *   sendRequest(actorId: string, request: Request) { return this.#actors.fetch(actorId, request); }
 *   // ...
 * }
 * ```
 */
export class LocalActors {
  #ctx: DriverContext;
  #driver: ActorDriver;
  #lookup: (actorId: string) => ActorRecord | undefined | Promise<ActorRecord | undefined>;
  #live = new Map<string, LoadedActor>();
  #loading = new Map<string, Promise<LoadedActor>>();
  #closed = false;

  /**
   * Creates the table of one driver.
   *
   * @param ctx The driver context (instances and the actor router).
   * @param driver The actor driver the instances use for state and alarms.
   * @param lookup Finds the record of an id (`undefined`: no such actor).
   */
  constructor(
    ctx: DriverContext,
    driver: ActorDriver,
    lookup: (actorId: string) => ActorRecord | undefined | Promise<ActorRecord | undefined>,
  ) {
    this.#ctx = ctx;
    this.#driver = driver;
    this.#lookup = lookup;
  }

  /** Number of loaded actors. */
  get size(): number {
    return this.#live.size;
  }

  /** Whether {@linkcode LocalActors.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The running instance without a wait, or a promise of it: what
   * `ManagerDriver.local` answers for an actor hosted here.
   *
   * @param actorId The actor id.
   * @returns The instance or a promise of it.
   */
  get(actorId: string): LoadedActor | Promise<LoadedActor> {
    const live = this.#live.get(actorId);
    return live?.running ? live : this.load(actorId);
  }

  /**
   * Loads (or wakes) an actor once; concurrent calls share the start.
   *
   * @param actorId The actor id.
   * @returns The running instance.
   * @throws {SwitchyardError} `actor_not_found`, `actor_stopped`, or what `start()` threw.
   */
  load(actorId: string): Promise<LoadedActor> {
    const live = this.#live.get(actorId);
    if (live) {
      if (live.running) return Promise.resolve(live);
      return live.whenStopped().then(() => {
        if (this.#live.get(actorId) === live) this.#live.delete(actorId);
        return this.load(actorId);
      });
    }
    const pending = this.#loading.get(actorId);
    if (pending) return pending;
    if (this.#closed) return Promise.reject(actorStopped());
    const started = this.#start(actorId).finally(() => this.#loading.delete(actorId));
    this.#loading.set(actorId, started);
    return started;
  }

  async #start(actorId: string): Promise<LoadedActor> {
    const record = await this.#lookup(actorId);
    if (!record) throw actorNotFound();
    if (this.#closed) throw actorStopped();
    const instance = this.#ctx.createInstance(record, this.#driver);
    await instance.start();
    this.#live.set(actorId, instance);
    return instance;
  }

  /**
   * Forgets a sleeping actor (its state is saved); the next call loads it.
   *
   * @param actorId The actor id.
   */
  unload(actorId: string): void {
    this.#live.delete(actorId);
  }

  /**
   * Loads the actor and runs its due scheduled actions; failures are logged.
   *
   * @param actorId The actor id.
   * @param now The driver's clock, ms since the epoch (what is due at it runs).
   * @returns Resolves when the alarm ran (or failed).
   */
  async fireAlarm(actorId: string, now?: number): Promise<void> {
    if (this.#closed) return;
    try {
      await (await this.load(actorId)).onAlarm(now);
    } catch (err) {
      this.#ctx.log("error", "Alarm failed", { actorId, error: String(err) });
    }
  }

  /**
   * Carries a request to the actor router, with `x-sy-actor-id` set.
   *
   * @param actorId The actor id.
   * @param request A request for the actor router.
   * @returns Its response.
   */
  fetch(actorId: string, request: Request): Promise<Response> {
    if (request.headers.get(HEADER_ACTOR_ID) !== actorId) {
      const headers = new Headers(request.headers);
      headers.set(HEADER_ACTOR_ID, actorId);
      // A body is passed on as a stream, which Node's Request accepts only with `duplex`.
      const init: RequestInit & { duplex?: "half" } = { headers };
      if (request.body !== null) init.duplex = "half";
      request = new Request(request, init);
    }
    return this.#ctx.actorRouter.fetch(request);
  }

  /**
   * Opens an in-process WebSocket to the actor router.
   *
   * @param actorId The actor id.
   * @param path The actor router path.
   * @param options Protocol headers and sub-protocols.
   * @returns The client end.
   */
  openWebSocket(actorId: string, path: string, options: OpenWebSocketOptions): SocketLike {
    const [client, server] = socketPair(options.protocols?.[0] ?? "");
    const headers = new Headers(options.headers);
    headers.set(HEADER_ACTOR_ID, actorId);
    void this.#ctx.actorRouter.websocket(new Request(`http://actor${path}`, { headers }), server);
    return client;
  }

  /**
   * Joins an accepted socket to the actor router.
   *
   * @param actorId The actor id.
   * @param request The upgrade request for the actor router.
   * @param socket The server end.
   * @returns Resolves once handed over.
   */
  websocket(actorId: string, request: Request, socket: SocketLike): Promise<void> {
    if (request.headers.get(HEADER_ACTOR_ID) !== actorId) {
      const headers = new Headers(request.headers);
      headers.set(HEADER_ACTOR_ID, actorId);
      request = new Request(request.url, { headers });
    }
    return this.#ctx.actorRouter.websocket(request, socket);
  }

  /**
   * Refuses new loads and stops every live actor (each drains and flushes).
   *
   * @returns Resolves when all have stopped.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#loading.values()]);
    await Promise.allSettled([...this.#live.values()].map((a) => a.stop()));
    this.#live.clear();
  }
}
