/**
 * The inline `ClientDriver`: server code and `c.client()` reach actors
 * through the `ManagerDriver` directly — `sendRequest` with a standard
 * `Request` built for the actor router, `openWebSocket` for connections —
 * and skip `onAuth` (they are trusted). When the driver offers `local()`,
 * actions run on the same-process instance without a `Request`; arguments
 * and results still round-trip through CBOR and errors through their wire
 * form, so both paths behave the same (the conformance suite runs both).
 *
 * Inline connections always use the WebSocket path (an in-process socket
 * pair on local drivers); `transport: "sse"` is a remote-client setting.
 *
 * @module
 */
import { decodeCbor, encodeCbor, type Encoding } from "../common/encoding.ts";
import { fromErrorBody, toErrorBody } from "../common/errors.ts";
import type { SocketLike } from "../common/socket.ts";
import type { ClientDriver, ConnectOptions } from "../client/client_driver.ts";
import {
  HEADER_ACTOR_ID,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_SUBS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
} from "../protocol/headers.ts";
import { type ActorQuery, queryName } from "../protocol/query.ts";
import type { ManagerDriver } from "../manager/driver.ts";
import { assertActorType, resolveQuery } from "../manager/resolve.ts";

function clone(v: unknown): unknown {
  return typeof v === "object" && v !== null ? decodeCbor(encodeCbor(v)) : v;
}

/** Options of {@linkcode InlineClientDriver}. */
export interface InlineDriverOptions {
  /** Use the driver's same-process fast path when it has one. @default {true} */
  fastPath?: boolean;
  /** Whether an actor type exists. */
  hasActorType(name: string): boolean;
}

/** Reaches actors through a `ManagerDriver`, without HTTP. */
export class InlineClientDriver implements ClientDriver {
  #manager: ManagerDriver;
  #fast: boolean;
  #has: (name: string) => boolean;

  /**
   * @param manager The manager driver.
   * @param options Fast path and type lookup.
   */
  constructor(manager: ManagerDriver, options: InlineDriverOptions) {
    this.#manager = manager;
    this.#fast = (options.fastPath ?? true) && typeof manager.local === "function";
    this.#has = options.hasActorType;
  }

  async resolve(query: ActorQuery): Promise<string> {
    if ("getForId" in query && this.#fast) {
      assertActorType(this.#has(query.getForId.name), query.getForId.name);
    } else assertActorType(this.#has(queryName(query)), queryName(query));
    return (await resolveQuery(this.#manager, query)).actorId;
  }

  async action(
    query: ActorQuery,
    name: string,
    args: unknown[],
    options: { encoding: Encoding },
  ): Promise<unknown> {
    const actorId = await this.resolve(query);
    if (this.#fast) {
      try {
        const actor = await this.#manager.local!(actorId);
        return clone(await actor.runAction(name, args.map(clone)));
      } catch (err) {
        const { body, status } = toErrorBody(err);
        throw fromErrorBody(body, status);
      }
    }
    const headers = new Headers({ [HEADER_ACTOR_ID]: actorId, [HEADER_ENCODING]: "cbor" });
    const request = new Request(`http://actor/action/${encodeURIComponent(name)}`, {
      method: "POST",
      headers,
      body: encodeCbor({ args }),
    });
    void options;
    const res = await this.#manager.sendRequest(actorId, request);
    const body = decodeCbor(new Uint8Array(await res.arrayBuffer())) as { output?: unknown };
    if (!res.ok) throw fromErrorBody(body, res.status);
    return body.output;
  }

  async connect(query: ActorQuery, options: ConnectOptions): Promise<SocketLike> {
    const actorId = await this.resolve(query);
    const headers = new Headers({
      [HEADER_ACTOR_ID]: actorId,
      [HEADER_ENCODING]: options.encoding,
    });
    if (options.params !== undefined) {
      headers.set(HEADER_CONN_PARAMS, JSON.stringify(options.params));
    }
    if (options.resume) {
      headers.set(HEADER_CONN_ID, options.resume.connId);
      headers.set(HEADER_CONN_TOKEN, options.resume.token);
      headers.set(HEADER_LAST_SEQ, String(options.resume.lastSeq));
    }
    if (options.subs) headers.set(HEADER_CONN_SUBS, JSON.stringify(options.subs));
    return await this.#manager.openWebSocket("/connect/websocket", actorId, { headers });
  }

  async fetch(query: ActorQuery, path: string, init?: RequestInit): Promise<Response> {
    const actorId = await this.resolve(query);
    const request = new Request(`http://actor/raw/http${path}`, init);
    const headers = new Headers(request.headers);
    headers.set(HEADER_ACTOR_ID, actorId);
    return await this.#manager.sendRequest(actorId, new Request(request, { headers }));
  }

  async websocket(query: ActorQuery, path: string, protocols?: string[]): Promise<SocketLike> {
    const actorId = await this.resolve(query);
    const headers = new Headers({ [HEADER_ACTOR_ID]: actorId });
    return await this.#manager.openWebSocket(`/raw/websocket${path}`, actorId, {
      headers,
      protocols,
    });
  }
}
