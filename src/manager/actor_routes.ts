/**
 * The manager router's HTTP routes into actors: `POST /actors/resolve`,
 * `POST /actors/actions/:name`, `GET /actors/connect/sse`,
 * `POST /actors/message` and `ALL /actors/raw/http/*`. Each admits the
 * request (query, `onAuth`), resolves the actor and hands a fresh `Request`
 * for the actor router to `ActorDispatch`.
 *
 * @module
 */
import { readBody } from "../common/body.ts";
import { parseEncoding } from "../common/encoding.ts";
import { publicError } from "../common/errors.ts";
import {
  HEADER_ACTOR_ID,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_SUBS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
} from "../protocol/headers.ts";
import { actorHeaders, admit, jsonHeader } from "./admission.ts";
import type { ManagerApp, RoutesContext } from "./routes_context.ts";

/**
 * Copies client headers, dropping every `x-sy-*` header (only the manager sets
 * those).
 *
 * @param from The client's headers.
 * @returns The copy.
 */
export function forwardHeaders(from: Headers): Headers {
  const out = new Headers();
  for (const [k, v] of from) if (!k.startsWith("x-sy-") && k !== "host") out.set(k, v);
  return out;
}

function withActorId(res: Response, actorId: string): Response {
  try {
    res.headers.set(HEADER_ACTOR_ID, actorId);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(HEADER_ACTOR_ID, actorId);
    return copy;
  }
}

/**
 * Mounts the HTTP routes into actors.
 *
 * @param app The manager router's app.
 * @param ctx What the routes share.
 */
export function mountActorRoutes(app: ManagerApp, ctx: RoutesContext): void {
  const { manager, definitions, dispatch, maxBodySize, runHttpAction } = ctx;
  app.post("/actors/resolve", async (c) => {
    const { record } = await admit(manager, definitions, c.req.raw, undefined);
    return withActorId(Response.json({ actorId: record.actorId }), record.actorId);
  });

  // Counted by `fetch` below, as every Hono route is.
  app.post("/actors/actions/:name", (c) => runHttpAction(c.req.raw, c.req.param("name"), false));

  app.get("/actors/connect/sse", async (c) => {
    const request = c.req.raw;
    parseEncoding(request.headers.get(HEADER_ENCODING));
    const params = jsonHeader(request, HEADER_CONN_PARAMS, "malformed_header");
    const { record, auth } = await admit(manager, definitions, request, "connect", params);
    const headers = actorHeaders(record.actorId, auth);
    for (
      const h of [
        HEADER_ENCODING,
        HEADER_CONN_PARAMS,
        HEADER_CONN_ID,
        HEADER_CONN_TOKEN,
        HEADER_LAST_SEQ,
        HEADER_CONN_SUBS,
      ]
    ) {
      const v = request.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    // No `signal`: reading `request.signal` makes Deno.serve warn (it aborts on successful
    // responses too). A client that leaves cancels the response stream, which the actor
    // router's stream sees as a dropped connection.
    const res = await dispatch.forward(
      record.actorId,
      new Request("http://actor/connect/sse", { headers }),
    );
    return withActorId(res, record.actorId);
  });

  app.post("/actors/message", async (c) => {
    const request = c.req.raw;
    const body = await readBody(request, maxBodySize);
    const { record, auth } = await admit(manager, definitions, request, "message");
    const headers = actorHeaders(record.actorId, auth);
    for (const h of [HEADER_ENCODING, HEADER_CONN_ID, HEADER_CONN_TOKEN]) {
      const v = request.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    const req = new Request("http://actor/connections/message", { method: "POST", headers, body });
    return await dispatch.forward(record.actorId, req);
  });

  app.all("/actors/raw/http/*", async (c) => {
    const request = c.req.raw;
    assertForwardableMethod(request.method);
    const { record, auth } = await admit(manager, definitions, request, "action");
    const url = new URL(request.url);
    const rest = url.pathname.slice("/actors/raw/http".length) || "/";
    const headers = actorHeaders(record.actorId, auth, forwardHeaders(request.headers));
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const init: RequestInit & { duplex?: string } = {
      method: request.method,
      headers,
    };
    if (hasBody && request.body) {
      init.body = request.body;
      init.duplex = "half";
    }
    const res = await dispatch.forward(
      record.actorId,
      new Request(`http://actor/raw/http${rest}${url.search}`, init),
    );
    return withActorId(res, record.actorId);
  });
}

const FORWARDABLE = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Refuses a method that a `Request` cannot carry to the actor (`TRACE`,
 * `TRACK`, `CONNECT`: the Fetch standard forbids them).
 *
 * @throws {SwitchyardError} `method_not_allowed` (405).
 */
function assertForwardableMethod(method: string): void {
  if (FORWARDABLE.has(method)) return;
  try {
    new Request("http://actor/", { method });
  } catch {
    throw publicError(
      "method_not_allowed",
      405,
      `Method "${method.slice(0, 32)}" is not allowed on raw HTTP`,
    );
  }
}
