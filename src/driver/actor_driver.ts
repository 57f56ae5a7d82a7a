/**
 * The `ActorDriver` contract and the `LoadedActor` it hosts: how actors are
 * loaded, where their state and alarms live, and how an idle actor is
 * unloaded. One implementation per host (`memory`, `kv`, `cloudflare`).
 *
 * @module
 */
import type { ActorRecord } from "./actor_record.ts";

/**
 * A live actor as drivers see it. Instances come from
 * `DriverContext.createInstance`; the driver starts each once, keeps it while
 * it runs, stops it on shutdown and calls `onAlarm` when its alarm fires.
 * Everything else about an instance is the runtime's business.
 */
export interface LoadedActor {
  /** The record the instance was created from. */
  readonly record: ActorRecord;
  /** Whether it serves requests (false once it started to sleep or stop). */
  readonly running: boolean;
  /**
   * Loads or creates the state and runs the start hooks. Called once, by the
   * driver, before the instance serves anything.
   *
   * @throws What the actor's `createState`, `onCreate`, `onStart` or `onWake`
   *   threw, and `state_corrupt` (500) when the stored state cannot be read.
   */
  start(): Promise<void>;
  /** Resolves when a stopping actor has stopped (at once otherwise). */
  whenStopped(): Promise<void>;
  /**
   * Stops for a shutdown: refuses new calls (`actor_stopped`), waits for the
   * actions already running, flushes the state and closes connections with
   * 1001 (the clients resume elsewhere or later).
   */
  stop(): Promise<void>;
  /**
   * Runs the scheduled actions that are due; the driver calls it when the
   * alarm fires.
   *
   * @param now The driver's clock, ms since the epoch. @default {Date.now()}
   */
  onAlarm(now?: number): Promise<void>;
  /**
   * Runs an action exactly as `POST /action/:name` of the actor router does:
   * the same-process path of `ManagerDriver.local`. It answers synchronously
   * when the action does (a plain handler returning a value) and with a
   * promise otherwise.
   *
   * @param name Action name.
   * @param args Arguments, already decoded and owned by the actor (the
   *   caller copies them when it keeps a reference).
   * @param caller What `onAuth` returned, when the call came through it.
   * @returns The result, or a promise of it.
   * @throws {SwitchyardError} `action_not_found` (404), `actor_stopped` (503)
   *   synchronously; what the action threw (as a rejection when it is async).
   */
  callAction(name: string, args: unknown[], caller?: { auth?: unknown }): unknown;
}

/** Storage and lifecycle of actors on one host. */
export interface ActorDriver {
  /**
   * Returns the live instance of an actor, starting it first if it is not
   * loaded (or sleeps). Concurrent calls for one id start it once and all get
   * the same instance.
   *
   * @param actorId The actor id.
   * @returns The running instance.
   * @throws {SwitchyardError} `actor_not_found` (404) for an unknown id,
   *   `actor_stopped` (503) once the driver shuts down.
   */
  loadActor(actorId: string): Promise<LoadedActor>;
  /**
   * Reads the persisted state bytes of an actor.
   *
   * @param actorId The actor id.
   * @returns The bytes, or `undefined` when they were never written.
   * @throws {SwitchyardError} `state_corrupt` (500) when stored bytes are torn
   *   or unreadable; the actor then fails to load and nothing is overwritten.
   */
  readState(actorId: string): Promise<Uint8Array | undefined>;
  /**
   * Persists state bytes. The runtime never calls it twice at once for one
   * actor; it resolves only once the bytes are durable on this host (a
   * persistent driver may group the writes of many actors into one commit),
   * and rejects when they are not: the runtime then acknowledges nothing.
   *
   * @param actorId The actor id.
   * @param bytes The CBOR-encoded state and schedule.
   */
  writeState(actorId: string, bytes: Uint8Array): Promise<void>;
  /**
   * Arms the actor's single alarm at `at` (epoch ms), replacing an earlier
   * one. When it fires the driver loads the actor and calls
   * `instance.onAlarm()`. Persistent drivers fire alarms after a restart too.
   *
   * @param actorId The actor id.
   * @param at When to fire, epoch ms (in the past: as soon as possible).
   */
  setAlarm(actorId: string, at: number): Promise<void>;
  /**
   * Disarms the actor's alarm, if any.
   *
   * @param actorId The actor id.
   */
  deleteAlarm(actorId: string): Promise<void>;
  /**
   * Unloads an idle actor after the runtime saved its state. The next
   * request loads it again (`onWake`).
   *
   * @param actorId The actor id.
   */
  sleep(actorId: string): Promise<void>;
}
