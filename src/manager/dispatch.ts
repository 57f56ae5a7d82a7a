/**
 * `ActorDispatch`: the one way into an actor for each kind of call, used by
 * every entry point (the manager router's endpoints, the inline client, the
 * message router, the gateway through the manager router).
 *
 * Each call asks the driver once, by actor id, whether this process hosts
 * the actor (`ManagerDriver.local`). Hosted here: the call runs on the
 * instance, without building a `Request`. Hosted elsewhere: the call becomes
 * a standard `Request` for the actor router, carried by the driver. Both
 * answer the same (the conformance suite runs every case over a driver that
 * hosts its actors and over one that reaches them only by `Request`).
 *
 * @module
 */
import { decodeCbor, encodeCbor } from "../common/encoding.ts";
import { fromErrorBody } from "../common/errors.ts";
import { isThenable } from "../common/thenable.ts";
import type { LoadedActor } from "../driver/actor_driver.ts";
import type { ManagerDriver, OpenWebSocketOptions } from "../driver/manager_driver.ts";
import type { SocketLike } from "../common/socket.ts";
import { HEADER_ACTOR_ID, HEADER_AUTH, HEADER_ENCODING } from "../protocol/headers.ts";

/** Who made a call: what the actor type's `onAuth` returned, for calls that passed it. */
export interface Caller {
  /** The JSON value `onAuth` returned (absent for trusted server code). */
  auth?: unknown;
}

/** The one way into an actor for each kind of call. */
export class ActorDispatch {
  #manager: ManagerDriver;

  /** @param manager The driver that finds and reaches actors. */
  constructor(manager: ManagerDriver) {
    this.#manager = manager;
  }

  /** The driver the calls go through. */
  get manager(): ManagerDriver {
    return this.#manager;
  }

  /**
   * The instance when this process hosts the actor, a promise of it when it
   * must load first, `null` when it lives elsewhere.
   *
   * @param actorId The actor id.
   * @returns What `ManagerDriver.local` answered.
   */
  hosted(actorId: string): LoadedActor | Promise<LoadedActor> | null {
    return this.#manager.local(actorId);
  }

  /**
   * Runs an action. Hosted here, a plain handler answers without a promise.
   *
   * @param actorId The actor id.
   * @param name The action name.
   * @param args The arguments (owned by the actor from now on).
   * @param caller What `onAuth` returned, when the call passed it.
   * @returns The result, or a promise of it.
   * @throws {SwitchyardError} `action_not_found`, `actor_stopped`, and what the action threw.
   */
  action(actorId: string, name: string, args: unknown[], caller?: Caller): unknown {
    const host = this.#manager.local(actorId);
    if (host === null) return this.#remoteAction(actorId, name, args, caller);
    if (isThenable(host)) return host.then((a) => a.callAction(name, args, caller));
    return host.callAction(name, args, caller);
  }

  async #remoteAction(
    actorId: string,
    name: string,
    args: unknown[],
    caller: Caller | undefined,
  ): Promise<unknown> {
    const headers = new Headers({ [HEADER_ACTOR_ID]: actorId, [HEADER_ENCODING]: "cbor" });
    if (caller?.auth !== undefined) headers.set(HEADER_AUTH, JSON.stringify(caller.auth));
    const request = new Request(`http://actor/action/${encodeURIComponent(name)}`, {
      method: "POST",
      headers,
      body: encodeCbor({ args }),
    });
    const res = await this.#manager.sendRequest(actorId, request);
    const body = decodeCbor(new Uint8Array(await res.arrayBuffer())) as { output?: unknown };
    if (!res.ok) throw fromErrorBody(body, res.status);
    return body.output;
  }

  /**
   * Carries a request that server code built for the actor router (the
   * inline client's raw HTTP, forwarded messages) to the actor.
   *
   * @param actorId The actor id.
   * @param request A request for the actor router.
   * @returns Its response.
   */
  request(actorId: string, request: Request): Promise<Response> {
    return this.#manager.sendRequest(actorId, request);
  }

  /**
   * Carries a request the manager router built from a client's request (raw
   * HTTP, SSE, connection messages) to the actor.
   *
   * @param actorId The actor id.
   * @param request A request for the actor router.
   * @returns Its response.
   */
  forward(actorId: string, request: Request): Promise<Response> {
    return this.#manager.proxyRequest(actorId, request);
  }

  /**
   * Joins a client's accepted WebSocket to the actor.
   *
   * @param actorId The actor id.
   * @param request The upgrade request for the actor router.
   * @param socket The server end.
   * @returns Resolves once handed over.
   */
  websocket(actorId: string, request: Request, socket: SocketLike): Promise<void> {
    return this.#manager.proxyWebSocket(actorId, request, socket);
  }

  /**
   * Opens a WebSocket to the actor for server code.
   *
   * @param actorId The actor id.
   * @param path The actor router path.
   * @param options Protocol headers and sub-protocols.
   * @returns The client end.
   */
  openWebSocket(actorId: string, path: string, options: OpenWebSocketOptions): Promise<SocketLike> {
    return this.#manager.openWebSocket(actorId, path, options);
  }
}
