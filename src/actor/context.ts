/**
 * The context `c` that actions and hooks receive.
 *
 * @module
 */
import type { ActorKey } from "../protocol/query.ts";
import type { Conn } from "./conn.ts";
import type { Participant } from "../messaging/types.ts";

export type { Conn } from "./conn.ts";

/** Schedules actions to run later; persisted with the state. */
export interface Schedule {
  /**
   * Runs `action(...args)` after `ms` milliseconds (survives sleep and restarts
   * on persisted drivers).
   * @returns The event id.
   */
  after(ms: number, action: string, ...args: unknown[]): Promise<string>;
  /**
   * Runs `action(...args)` at `timestamp` (epoch ms).
   * @returns The event id.
   */
  at(timestamp: number, action: string, ...args: unknown[]): Promise<string>;
}

/** A minimal structured logger. */
export interface Logger {
  /** Debug detail. */
  debug(message: string, data?: Record<string, unknown>): void;
  /** Normal operation. */
  info(message: string, data?: Record<string, unknown>): void;
  /** Something odd. */
  warn(message: string, data?: Record<string, unknown>): void;
  /** A failure. */
  error(message: string, data?: Record<string, unknown>): void;
}

/** What every hook sees. */
export interface ActorContext<S = unknown, V = unknown, CP = unknown, CS = unknown, A = unknown> {
  /** The actor's state; every write is checked and persisted. */
  state: S;
  /** Ephemeral values made by `createVars`. */
  vars: V;
  /** Live connections by id. */
  readonly conns: ReadonlyMap<string, Conn<CP, CS, A>>;
  /** The actor id. */
  readonly actorId: string;
  /** The actor type name. */
  readonly name: string;
  /** The actor key. */
  readonly key: ActorKey;
  /** The input the actor was created with. */
  readonly input: unknown;
  /** Sends an event to every connection subscribed to `name`. */
  broadcast(name: string, ...args: unknown[]): void;
  /** Schedules actions. */
  readonly schedule: Schedule;
  /** An inline client of the same registry (typed by the caller). */
  // deno-lint-ignore no-explicit-any
  client<C = any>(): C;
  /** Writes the state now (`immediate`) or within the save interval. */
  saveState(options?: { immediate?: boolean }): Promise<void>;
  /** Unloads the actor once the current work is done. */
  sleep(): void;
  /** A logger tagged with the actor. */
  readonly log: Logger;
  /**
   * The message router, as this actor (`from` is its actor id):
   * `send(target, data)`, `request(target, data, { timeout })`,
   * `openChannel(target, initial, { timeout })`. Targets are actor ids.
   */
  readonly messages: Participant;
}

/** What actions, `onFetch` and `onWebSocket` see. */
export interface ActionContext<S = unknown, V = unknown, CP = unknown, CS = unknown, A = unknown>
  extends ActorContext<S, V, CP, CS, A> {
  /** The connection the action came through, if any. */
  readonly conn: Conn<CP, CS, A> | undefined;
  /** What `onAuth` returned for the caller (undefined for the inline client). */
  readonly auth: A | undefined;
}
