/**
 * The `ManagerDriver` contract: where actors are found, created and listed,
 * and how a standard `Request` or a WebSocket reaches the actor router of one
 * actor. Every host difference lives in a driver method; settings live on the
 * driver that uses them.
 *
 * The path of every call into an actor is the same: the caller (the manager
 * router, the inline client, the message router, the gateway) resolves the
 * actor id, then asks {@linkcode ManagerDriver.local} whether this process
 * hosts the actor. When it does, the call runs on the returned instance;
 * when it does not (`null`), the call becomes a standard `Request` for the
 * actor router, carried by {@linkcode ManagerDriver.sendRequest} (or a
 * WebSocket, by `openWebSocket` / `proxyWebSocket`).
 *
 * @module
 */
import type { SocketLike } from "../common/socket.ts";
import type { ActorKey } from "../protocol/query.ts";
import type { ActorDriver, LoadedActor } from "./actor_driver.ts";
import type { ActorRecord } from "./actor_record.ts";

/** Options of {@linkcode ManagerDriver.listActors}. */
export interface ListActorsOptions {
  /** Only actors of this type. */
  name?: string;
  /** At most this many. @default {100} */
  limit?: number;
}

/** Options of {@linkcode ManagerDriver.openWebSocket}. */
export interface OpenWebSocketOptions {
  /** Protocol headers for the actor router (encoding, params, resume, auth). */
  headers: Headers;
  /** Sub-protocols of a raw WebSocket; the first is the one agreed. */
  protocols?: string[];
}

/**
 * Finds, creates and reaches actors.
 *
 * Every transport method takes the actor id first. A request a driver
 * carries must reach the actor router with the `x-sy-actor-id` header set to
 * that id (drivers set it; the routers never trust a client's copy), and its
 * response comes back unchanged.
 */
export interface ManagerDriver {
  /**
   * Looks an actor up by id.
   *
   * @param name The actor type the caller expects.
   * @param actorId The actor id.
   * @returns The record, or `undefined` when there is no such actor or it is
   *   of another type.
   */
  getForId(name: string, actorId: string): Promise<ActorRecord | undefined>;
  /**
   * Looks an actor up by key.
   *
   * @param name The actor type.
   * @param key The key (equal arrays match).
   * @returns The record, or `undefined`.
   */
  getWithKey(name: string, key: ActorKey): Promise<ActorRecord | undefined>;
  /**
   * The actor with this key, created with `input` if there is none. Atomic:
   * concurrent calls with one key, from any number of callers and (for a
   * shared store) processes, return one actor.
   *
   * @param name The actor type.
   * @param key The key.
   * @param input Creation input, used only when this call creates the actor.
   * @returns The record.
   * @throws {SwitchyardError} `actor_not_found` (404) for an undefined type,
   *   `key_too_long` (400) when the host cannot store the key.
   */
  getOrCreateWithKey(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord>;
  /**
   * Creates an actor.
   *
   * @param name The actor type.
   * @param key The key.
   * @param input Creation input.
   * @returns The new record.
   * @throws {SwitchyardError} `actor_already_exists` (409) when the key is
   *   taken (atomic as `getOrCreateWithKey`), `actor_not_found` (404) for an
   *   undefined type, `key_too_long` (400).
   */
  createActor(name: string, key: ActorKey, input?: unknown): Promise<ActorRecord>;
  /**
   * Lists actors, oldest first.
   *
   * @param options Type filter and limit.
   * @returns The records.
   */
  listActors(options?: ListActorsOptions): Promise<ActorRecord[]>;
  /**
   * Whether this process hosts the actor, asked once per call into it: the
   * running instance (synchronously when it runs, so a hot call has no
   * await), a promise of it when it must be loaded or woken first, or `null`
   * when the actor lives elsewhere (another process, a Durable Object): the
   * caller then uses `sendRequest` / `openWebSocket`.
   *
   * The answer for one id must not change while the driver runs. A call on
   * the returned instance must behave exactly as the same call carried as a
   * `Request` to the actor router: the conformance suite runs both.
   *
   * @param actorId An id from this driver's records.
   * @returns The instance, a promise of it, or `null`.
   */
  local(actorId: string): LoadedActor | Promise<LoadedActor> | null;
  /**
   * Delivers a request built for the actor router (`http://actor/action/inc`,
   * headers of the protocol) to the actor and returns its response: the path
   * of the inline client and of actor-to-actor calls for actors hosted
   * elsewhere.
   *
   * @param actorId The actor id.
   * @param request The request for the actor router.
   * @returns The actor router's response.
   * @throws {SwitchyardError} `actor_not_found` (404), `actor_stopped` (503).
   */
  sendRequest(actorId: string, request: Request): Promise<Response>;
  /**
   * Opens a WebSocket to an actor router `path` (`/connect/websocket`,
   * `/raw/websocket/...`) for server code and returns the client end.
   *
   * @param actorId The actor id.
   * @param path The actor router path, with its query string.
   * @param options Protocol headers and sub-protocols.
   * @returns The client end; it opens (or closes with a coded frame) later.
   */
  openWebSocket(
    actorId: string,
    path: string,
    options: OpenWebSocketOptions,
  ): Promise<SocketLike>;
  /**
   * The manager router's path for a request it built from a client's one
   * (raw HTTP, SSE, connection messages): the same contract as
   * `sendRequest`; a driver may stream the body.
   *
   * @param actorId The actor id.
   * @param request The request for the actor router.
   * @returns The actor router's response.
   */
  proxyRequest(actorId: string, request: Request): Promise<Response>;
  /**
   * The manager router has upgraded a client's connection (`socket` is the
   * server end); the driver joins it to the actor router's WebSocket
   * endpoint named by `request`.
   *
   * @param actorId The actor id.
   * @param request The upgrade request for the actor router (`http://actor/connect/websocket`).
   * @param socket The accepted server end.
   * @returns Resolves once the socket is handed over.
   */
  proxyWebSocket(actorId: string, request: Request, socket: SocketLike): Promise<void>;
  /**
   * Stops every actor this driver hosts (each drains its running actions
   * and flushes its state) and releases timers and files. Later calls are
   * refused with `actor_stopped`.
   */
  shutdown(): Promise<void>;
}

/** Serves requests and WebSockets addressed to actors of this process. */
export interface ActorRouter {
  /**
   * Handles an actor router request; `x-sy-actor-id` names the actor.
   *
   * @param request The request.
   * @returns The response (errors as coded bodies, never a rejection).
   */
  fetch(request: Request): Promise<Response>;
  /**
   * Serves an accepted WebSocket (server end) for `/connect/websocket` or
   * `/raw/websocket/*`.
   *
   * @param request The upgrade request; `x-sy-actor-id` names the actor.
   * @param socket The server end.
   * @returns Resolves once the connection is set up (or refused).
   */
  websocket(request: Request, socket: SocketLike): Promise<void>;
}

/** What the registry gives a driver when a server starts. */
export interface DriverContext {
  /** The actor router of this process (drivers that host actors route to it). */
  actorRouter: ActorRouter;
  /**
   * Builds an unstarted instance for a record; the driver starts it.
   *
   * @throws {SwitchyardError} `actor_not_found` (404) for an undefined type.
   */
  createInstance(record: ActorRecord, driver: ActorDriver): LoadedActor;
  /** Whether `name` is a defined actor type. */
  hasActorType(name: string): boolean;
  /** Where the driver logs (the server's logger). */
  log(level: "debug" | "info" | "warn" | "error", message: string, data?: object): void;
}

/** What {@linkcode DriverFactory.create} returns. */
export interface CreatedDriver {
  /** The manager half. */
  manager: ManagerDriver;
  /** The actor half (often the same object). */
  actor: ActorDriver;
  /**
   * `durable` of actors that do not set the option: whether an action
   * answers only after the state it changed is stored. `false` on `memory`
   * (nothing survives a restart anyway), `true` on `kv`.
   */
  durableByDefault: boolean;
}

/** A configured driver, e.g. `memoryDriver()`. */
export interface DriverFactory {
  /** Driver name, for logs and metrics. */
  readonly name: string;
  /**
   * Creates the driver pair for one server. May be called once per server.
   *
   * @param context What the server offers.
   * @returns The two halves (often one object) and the driver's defaults.
   */
  create(context: DriverContext): CreatedDriver;
}
