/**
 * The `ActorDriver` contract: how actors are loaded, where their state and
 * alarms live, and how an idle actor is unloaded. One implementation per
 * host (`memory`, `kv`, `cloudflare`).
 *
 * @module
 */
/**
 * A live actor as drivers see it. Instances come from
 * `DriverContext.createInstance`; the driver starts each once, keeps it while
 * it runs, stops it on shutdown and calls `onAlarm` when its alarm fires.
 * Everything else about an instance is the runtime's business.
 */
export interface LoadedActor {
  /** Whether it serves requests (false once it started to sleep or stop). */
  readonly running: boolean;
  /** Loads or creates the state and runs the start hooks. Called once, by the driver. */
  start(): Promise<void>;
  /** Resolves when a stopping actor has stopped (at once otherwise). */
  whenStopped(): Promise<void>;
  /** Closes connections and flushes state, for a shutdown. */
  stop(): Promise<void>;
  /** Runs the scheduled actions that are due; the driver calls it when the alarm fires. */
  onAlarm(): Promise<void>;
  /**
   * Runs an action, as `POST /action/:name` of the actor router would: the
   * same-process fast path of `ManagerDriver.local`.
   *
   * @param name Action name.
   * @param args Arguments (already decoded; the caller clones them if needed).
   * @param caller What `onAuth` returned, when the call came through it.
   */
  runAction(name: string, args: unknown[], caller?: { auth?: unknown }): Promise<unknown>;
  /**
   * `runAction` without a promise when the action answers at once (a plain
   * handler returning a value): the result, or a promise of it. Unknown
   * actions and a stopping actor throw synchronously.
   *
   * @param name Action name.
   * @param args Arguments (already decoded).
   * @param caller What `onAuth` returned, when the call came through it.
   */
  callAction(name: string, args: unknown[], caller?: { auth?: unknown }): unknown;
}

/** Storage and lifecycle of actors on one host. */
export interface ActorDriver {
  /**
   * Returns the live instance of an actor, starting it first if it is not
   * loaded (or sleeps). Concurrent calls for one id start it once and all get
   * the same instance. Rejects with `actor_not_found` for an unknown id.
   */
  loadActor(actorId: string): Promise<LoadedActor>;
  /**
   * Reads the persisted state bytes of an actor, or `undefined` when it has
   * never been written.
   */
  readState(actorId: string): Promise<Uint8Array | undefined>;
  /**
   * Persists state bytes. The runtime never calls it twice at once for one
   * actor; it resolves once the bytes are durable on this host.
   */
  writeState(actorId: string, bytes: Uint8Array): Promise<void>;
  /**
   * Arms the actor's single alarm at `at` (epoch ms), replacing an earlier
   * one. When it fires the driver loads the actor and calls
   * `instance.onAlarm()`. Persisted drivers fire alarms after a restart too.
   */
  setAlarm(actorId: string, at: number): Promise<void>;
  /** Disarms the actor's alarm, if any. */
  deleteAlarm(actorId: string): Promise<void>;
  /**
   * Unloads an idle actor after the runtime saved its state. The next
   * request loads it again (`onWake`).
   */
  sleep(actorId: string): Promise<void>;
}
