/**
 * `POST /actors/actions/:name`, the manager router's hot path.
 *
 * One path for every driver: read the body, check the query and the actor
 * type's `onAuth`, resolve the actor id ({@linkcode ActorIds}), then
 * {@linkcode ActorDispatch.action}, which runs the action on the instance
 * when this process hosts the actor and carries it as a `Request` to the
 * actor router otherwise. A request has one real wait, for its body; a
 * cached actor query, a synchronous `onAuth`, a running local actor and a
 * plain action handler add none. On Deno.serve each extra promise hop is
 * measurable (docs/benchmarks.md), so this path is written as one async
 * function.
 *
 * @module
 */
import { declaredLength, notJson, readBody, readJson } from "../common/body.ts";
import { parseEncoding } from "../common/encoding.ts";
import { isThenable } from "../common/thenable.ts";
import type { AnyActorDefinition } from "../actor/definition.ts";
import { HEADER_ENCODING } from "../protocol/headers.ts";
import { actionArgs, decodeActionArgs, encodedResponse, errorResponse } from "../protocol/http.ts";
import type { Metrics } from "./metrics.ts";
import { allowed, intentsOf, reachableType, readQuery } from "./admission.ts";
import type { ActorDispatch } from "./dispatch.ts";
import type { ActorIds } from "./resolve.ts";

const ACTIONS_PATH = "/actors/actions/";

/**
 * The action name of a `POST /actors/actions/:name` request, decoded as Hono
 * decodes route params; `undefined` for any other request.
 *
 * @param request The request.
 * @returns The action name, or `undefined`.
 */
export function actionName(request: Request): string | undefined {
  if (request.method !== "POST") return undefined;
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start < 0 || !url.startsWith(ACTIONS_PATH, start)) return undefined;
  const q = url.indexOf("?", start);
  const raw = url.slice(start + ACTIONS_PATH.length, q < 0 ? undefined : q);
  if (raw === "" || raw.includes("/")) return undefined; // Hono answers these
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Options of {@linkcode httpActions}. */
export interface HttpActionOptions {
  /** The way into actors. */
  dispatch: ActorDispatch;
  /** Actor ids by query. */
  ids: ActorIds;
  /** Actor types by name. */
  definitions: Record<string, AnyActorDefinition>;
  /** Largest request body, bytes. */
  maxBodySize: number;
  /** Metrics sink (responses are counted when asked). */
  metrics: Metrics;
  /** Turns an error thrown before the action ran into a response (logs internal ones). */
  onError(err: unknown, request: Request): Response;
}

/** Serves one action request; never rejects. `count`: add the answer to the metrics. */
export type HttpActionHandler = (
  request: Request,
  name: string,
  count: boolean,
) => Promise<Response>;

/**
 * Builds the handler of `POST /actors/actions/:name`.
 *
 * @param o Dispatch, definitions and settings.
 * @returns The handler.
 */
export function httpActions(o: HttpActionOptions): HttpActionHandler {
  const { dispatch, ids, definitions, maxBodySize: limit, metrics, onError } = o;

  return async function httpAction(request, name, count) {
    let res: Response;
    try {
      const enc = parseEncoding(request.headers.get(HEADER_ENCODING));
      let body: unknown;
      if (enc === "json" && declaredLength(request, limit) >= 0) {
        // Deno.serve hands a declared-length body over in one piece.
        try {
          body = await request.json();
        } catch {
          throw notJson();
        }
      } else if (enc === "json") {
        body = await readJson(request, limit);
      } else {
        body = await readBody(request, limit);
      }
      const query = readQuery(request);
      const type = reachableType(definitions, query);
      let auth = type.onAuth({ request, intents: intentsOf(query, "action") }, undefined);
      if (isThenable(auth)) auth = await auth;
      allowed(auth, type.name);
      let actorId = ids.of(query);
      if (typeof actorId !== "string") actorId = await actorId;
      try {
        const args = enc === "json" ? actionArgs(body) : decodeActionArgs(body as Uint8Array, enc);
        // The auth data reaches the actor as JSON, as it does through a header on the Request path.
        let output = dispatch.action(actorId, name, args, {
          auth: auth === undefined ? undefined : JSON.parse(JSON.stringify(auth)),
        });
        if (isThenable(output)) output = await output;
        // Only `content-type`: any other header takes Deno.serve off its fast
        // path for static responses (~10 µs per request measured), so action
        // answers carry no `x-sy-actor-id` (resolve, SSE and raw answers do).
        res = encodedResponse({ output }, 200, enc);
      } catch (err) {
        res = errorResponse(err, enc);
      }
    } catch (err) {
      res = onError(err, request);
    }
    if (count) metrics.request(res.status);
    return res;
  };
}
