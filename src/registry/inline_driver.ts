/**
 * The inline `ClientDriver`: server code and `c.client()` reach actors
 * without HTTP and without `onAuth` (they are trusted), through the same
 * {@linkcode ActorDispatch} as the manager router: actions run on the
 * instance when this process hosts the actor and travel as a `Request` to
 * the actor router otherwise; connections always open a WebSocket through
 * the driver (an in-process socket pair on drivers that host actors).
 *
 * Arguments and results are copied as structured data (the form they have
 * on the wire), so caller and actor never share an object, and errors reach
 * the caller in their public form (internal errors masked), as on every
 * other way in. `transport: "sse"` is a remote-client setting.
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
import { checkActionArgs } from "../protocol/messages.ts";
import type { ActorDispatch } from "../manager/dispatch.ts";
import { assertActorType, resolveQuery } from "../manager/resolve.ts";
import { isThenable } from "../common/thenable.ts";

function clone(v: unknown): unknown {
  return typeof v === "object" && v !== null ? decodeCbor(encodeCbor(v)) : v;
}

/** Options of {@linkcode InlineClientDriver}. */
export interface InlineDriverOptions {
  /** Whether an actor type exists. */
  hasActorType(name: string): boolean;
}

/** Reaches actors through the server's dispatch, without HTTP. */
export class InlineClientDriver implements ClientDriver {
  #dispatch: ActorDispatch;
  #has: (name: string) => boolean;

  /**
   * @param dispatch The server's way into actors.
   * @param options Type lookup.
   */
  constructor(dispatch: ActorDispatch, options: InlineDriverOptions) {
    this.#dispatch = dispatch;
    this.#has = options.hasActorType;
  }

  async resolve(query: ActorQuery): Promise<string> {
    assertActorType(this.#has(queryName(query)), queryName(query));
    return (await resolveQuery(this.#dispatch.manager, query)).actorId;
  }

  async action(
    query: ActorQuery,
    name: string,
    args: unknown[],
    _options: { encoding: Encoding },
  ): Promise<unknown> {
    checkActionArgs(args);
    const actorId = await this.resolve(query);
    try {
      let output = this.#dispatch.action(actorId, name, args.map(clone));
      if (isThenable(output)) output = await output;
      return clone(output);
    } catch (err) {
      const { body, status } = toErrorBody(err);
      throw fromErrorBody(body, status);
    }
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
    return await this.#dispatch.openWebSocket(actorId, "/connect/websocket", { headers });
  }

  async fetch(query: ActorQuery, path: string, init?: RequestInit): Promise<Response> {
    const actorId = await this.resolve(query);
    // A streamed body needs `duplex: "half"` on Node (Deno assumes it).
    const streamed = init?.body instanceof ReadableStream;
    const request = new Request(
      `http://actor/raw/http${path}`,
      streamed ? { ...init, duplex: "half" } as RequestInit : init,
    );
    const headers = new Headers(request.headers);
    headers.set(HEADER_ACTOR_ID, actorId);
    const forwarded: RequestInit & { duplex?: "half" } = { headers };
    if (request.body !== null) forwarded.duplex = "half";
    return await this.#dispatch.request(actorId, new Request(request, forwarded));
  }

  async websocket(query: ActorQuery, path: string, protocols?: string[]): Promise<SocketLike> {
    const actorId = await this.resolve(query);
    const headers = new Headers({ [HEADER_ACTOR_ID]: actorId });
    return await this.#dispatch.openWebSocket(actorId, `/raw/websocket${path}`, {
      headers,
      protocols,
    });
  }
}
