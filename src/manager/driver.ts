/**
 * The `ManagerDriver` contract: where actors are found, created and listed,
 * and how a standard `Request` or a WebSocket reaches the actor router of
 * one actor. Every host difference lives in a driver method; settings live on
 * the driver that uses them.
 *
 * @module
 */
import type { SocketLike } from "../common/socket.ts";
import type { ActorKey, ActorQuery } from "../protocol/query.ts";
import type { ActorDriver, LoadedActor } from "../actor/driver.ts";
import type { ActorRouter } from "../actor/router.ts";

/** What the manager knows of an actor. */
export interface ActorRecord {
  /** Unique id, stable for the actor's life. */
  actorId: string;
  /** Actor type name (a key of `setup({ use })`). */
  name: string;
  /** The key it was created with. */
  key: ActorKey;
  /** The creation input, given to `createState` and `onCreate`. */
  input?: unknown;
  /** Creation time, epoch ms. */
  createdAt: number;
}

/** Options of {@linkcode ManagerDriver.listActors}. */
export interface ListActorsOptions {
  /** Only actors of this type. */
  name?: string;
  /** At most this many. @default {100} */
  limit?: number;
}

/** Finds, creates and reaches actors. */
export interface ManagerDriver {
  /** The actor with this id, if it exists and is of type `name`. */
  getForId(name: string, actorId: string): Promise<ActorRecord | undefined>;
  /** The actor of type `name` with exactly this key (equal arrays match). */
  getWithKey(name: string, key: ActorKey): Promise<ActorRecord | undefined>;
  /**
   * The actor with this key, created with `input` if there is none. Atomic:
   * concurrent calls with one key return one actor, in every driver.
   */
  getOrCreateWithKey(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord>;
  /** Creates an actor; rejects with `actor_already_exists` when the key is taken. */
  createActor(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord>;
  /** Lists actors, oldest first. */
  listActors(options?: ListActorsOptions): Promise<ActorRecord[]>;
  /**
   * Inline client and actor-to-actor path: delivers a request built for the
   * actor router (`http://actor/action/inc`, headers of `src/protocol`) to
   * that actor and returns its response.
   */
  sendRequest(actorId: string, request: Request): Promise<Response>;
  /**
   * Inline client path: opens a WebSocket to an actor router `path`
   * (`/connect/websocket`, `/raw/websocket/...`) and returns the client end.
   * `headers` carry the protocol values (encoding, params, resume, auth).
   */
  openWebSocket(
    path: string,
    actorId: string,
    options: { headers: Headers; protocols?: string[] },
  ): Promise<SocketLike>;
  /** Manager router path: the same as `sendRequest`, for a request the manager built. */
  proxyRequest(request: Request, actorId: string): Promise<Response>;
  /**
   * Manager router path: the manager has upgraded the client's connection
   * (`socket` is the server end); the driver joins it to the actor router.
   */
  proxyWebSocket(request: Request, actorId: string, socket: SocketLike): Promise<void>;
  /**
   * Optional same-process fast path for the inline client: runs an action on
   * a local instance without building a `Request`. It must behave exactly
   * like `sendRequest` to `/action/:name` (the conformance suite runs both).
   */
  local?(actorId: string): Promise<LoadedActor>;
  /**
   * Optional, beside `local`: the running same-process instance that `query`
   * resolves to, found without waiting, or `undefined` whenever that is not
   * certain (not loaded yet, starting, stopping, a `create` query, another
   * host); the manager router then takes `getForId` / `getWithKey` /
   * `getOrCreateWithKey` and `local`. It must agree with them and never
   * creates an actor.
   */
  peekLocal?(query: ActorQuery): LoadedActor | undefined;
  /** Stops every actor (state flushed) and releases timers. */
  shutdown(): Promise<void>;
}

/** What the registry gives a driver when a server starts. */
export interface DriverContext {
  /** The actor router of this process (memory, kv drivers route to it). */
  actorRouter: ActorRouter;
  /** Builds an (unstarted) instance for a record; the driver starts it. */
  createInstance(record: ActorRecord, driver: ActorDriver): LoadedActor;
  /** Whether `name` is a defined actor type. */
  hasActorType(name: string): boolean;
}

/** A configured driver, e.g. `memoryDriver()`. */
export interface DriverFactory {
  /** Driver name, for logs and metrics. */
  readonly name: string;
  /** Creates the driver pair for one server. */
  create(context: DriverContext): { manager: ManagerDriver; actor: ActorDriver };
}
