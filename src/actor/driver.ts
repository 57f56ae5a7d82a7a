/**
 * The `ActorDriver` contract: how actors are loaded, where their state and
 * alarms live, and how an idle actor is unloaded. One implementation per
 * host (`memory`, `kv`, `cloudflare`).
 *
 * @module
 */
import type { ActorInstance } from "./instance.ts";

/** Storage and lifecycle of actors on one host. */
export interface ActorDriver {
  /**
   * Returns the live instance of an actor, starting it first if it is not
   * loaded (or sleeps). Concurrent calls for one id start it once and all get
   * the same instance. Rejects with `actor_not_found` for an unknown id.
   */
  loadActor(actorId: string): Promise<ActorInstance>;
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
