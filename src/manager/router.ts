/**
 * The manager router (Hono): the public endpoints of the server. For every
 * request it reads the actor query, runs the actor type's `onAuth` with the
 * request's intents, resolves the actor id through the `ManagerDriver`, builds
 * a fresh standard `Request` for the actor router and hands it (or the
 * upgraded WebSocket) to the actor through {@linkcode ActorDispatch}.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { readBody } from "../common/body.ts";
import { parseEncoding } from "../common/encoding.ts";
import { publicError, SwitchyardError } from "../common/errors.ts";
import { safeEqual } from "../common/ids.ts";
import type { SocketLike } from "../common/socket.ts";
import { bufferMessages } from "../common/buffered_socket.ts";
import type { AnyActorDefinition } from "../actor/definition.ts";
import { refuse } from "../actor/connections.ts";
import {
  HEADER_ACTOR_ID,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_SUBS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
  HEADER_QUERY,
  parseSocketProtocols,
  WS_PROTOCOL,
} from "../protocol/headers.ts";
import { errorResponse } from "../protocol/http.ts";
import { parseOpeningSubs } from "../protocol/messages.ts";
import { checkHandshake, type Upgrader, upgradeWebSocket } from "../runtime/upgrade.ts";
import type { ManagerDriver } from "../driver/manager_driver.ts";
import { ActorDispatch } from "./dispatch.ts";
import { ActorIds } from "./resolve.ts";
import { actorHeaders, admit, jsonHeader } from "./admission.ts";
import { actionName, httpActions } from "./http_action.ts";
import { messagingAdmission } from "./messaging_admission.ts";
import type { Metrics } from "./metrics.ts";
import type { MessageRouter } from "../messaging/message_router.ts";
import { type MessagingAuth, serveMessagingSocket } from "../messaging/messaging_socket.ts";

/** CORS settings (off unless given). */
export interface CorsOptions {
  /** Allowed origins: `"*"`, a list, or a function returning the allowed origin or `null`. */
  origin: string | string[] | ((origin: string) => string | null | undefined);
  /** Send `Access-Control-Allow-Credentials`. @default {false} */
  credentials?: boolean;
  /** Preflight cache, seconds. @default {600} */
  maxAge?: number;
}

/** Options of {@linkcode createManagerRouter}. */
export interface ManagerRouterOptions {
  /** The driver that finds and reaches actors. */
  manager: ManagerDriver;
  /** Actor types by name. */
  definitions: Record<string, AnyActorDefinition>;
  /** Largest request body, bytes. */
  maxBodySize: number;
  /** CORS, off when absent. */
  cors?: CorsOptions;
  /** Bearer token that unlocks `GET /actors`; the listing is off without it. */
  operatorToken?: string;
  /** Upgrader of the runtime (Deno, Workers), when not given per request. */
  upgrader?: Upgrader;
  /** Metrics sink. */
  metrics: Metrics;
  /**
   * What `GET /actors` shows of an actor loaded in this process (status,
   * connections, state size), or `undefined` when it is not loaded here.
   */
  inspect?(actorId: string): object | undefined;
  /** The way into actors (one per server); a new one over `manager` when absent. */
  dispatch?: ActorDispatch;
  /** The message router and the settings of `GET /messages` (off without `auth`). */
  messaging?: {
    router: MessageRouter;
    auth?: MessagingAuth;
    heartbeatTimeout?: number;
    maxBufferedBytes?: number;
  };
}

/** The manager router: `fetch(request, env)`; `env.upgradeWebSocket` overrides the upgrader. */
export interface ManagerRouter {
  /** Serves one request. */
  fetch(request: Request, env?: { upgradeWebSocket?: Upgrader }): Promise<Response>;
}

/** Copies client headers, dropping every `x-sy-*` header (only the manager sets those). */
function forwardHeaders(from: Headers): Headers {
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
 * Builds the manager router.
 *
 * @param options Driver, definitions and settings.
 * @returns The router.
 */
export function createManagerRouter(options: ManagerRouterOptions): ManagerRouter {
  const { manager, definitions, maxBodySize, metrics } = options;
  const dispatch = options.dispatch ?? new ActorDispatch(manager);
  const ids = new ActorIds(manager);
  /** Responses of accepted upgrades, counted as 101 whatever status the host's upgrader gave. */
  const upgrades = new WeakSet<Response>();
  const app = new Hono<{ Bindings: { upgradeWebSocket?: Upgrader } | undefined }>();

  function onError(err: unknown, request: Request): Response {
    let enc: "json" | "cbor" = "json";
    try {
      enc = parseEncoding(request.headers.get(HEADER_ENCODING));
    } catch { /* answer in JSON */ }
    if (!(err instanceof SwitchyardError && err.public)) {
      console.error("switchyard: internal error", err);
    }
    return errorResponse(err, enc);
  }
  app.onError((err, c) => onError(err, c.req.raw));
  app.notFound(() => errorResponse(publicError("not_found", 404, "Route is not found")));

  if (options.cors) {
    const o = options.cors;
    app.use(
      "*",
      cors({
        origin: o.origin,
        credentials: o.credentials ?? false,
        maxAge: o.maxAge ?? 600,
        allowHeaders: [
          "content-type",
          "authorization",
          HEADER_QUERY,
          HEADER_ENCODING,
          HEADER_CONN_PARAMS,
          HEADER_CONN_ID,
          HEADER_CONN_TOKEN,
          HEADER_LAST_SEQ,
          HEADER_CONN_SUBS,
        ],
        exposeHeaders: [HEADER_ACTOR_ID],
      }),
    );
  }

  app.get("/health", () => Response.json({ status: "ok" }));
  app.get(
    "/metrics",
    () =>
      new Response(metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } }),
  );

  app.get("/actors", async (c) => {
    const token = options.operatorToken;
    if (!token || !safeEqual(c.req.header("authorization") ?? "", `Bearer ${token}`)) {
      throw publicError("forbidden", 403, "Listing actors needs the operator token");
    }
    const limit = Number(c.req.query("limit") ?? 100);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      throw publicError("invalid_request", 400, 'Query parameter "limit" must be 1 to 10000');
    }
    const name = c.req.query("name");
    const records = await manager.listActors({ name, limit });
    const actors = records.map((r) => ({ ...r, live: options.inspect?.(r.actorId) ?? null }));
    return Response.json({ actors });
  });

  app.post("/actors/resolve", async (c) => {
    const { record } = await admit(manager, definitions, c.req.raw, undefined);
    return withActorId(Response.json({ actorId: record.actorId }), record.actorId);
  });

  const runHttpAction = httpActions({ dispatch, ids, definitions, maxBodySize, metrics, onError });
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
      signal: request.signal,
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

  function upgrade(
    c: { req: { raw: Request }; env: { upgradeWebSocket?: Upgrader } | undefined },
    path: string,
  ) {
    const request = c.req.raw;
    checkHandshake(request);
    const values = parseSocketProtocols(request.headers.get("sec-websocket-protocol"));
    const raw = path.startsWith("/raw/");
    const protocol = raw && values.other.length ? values.other[0] : WS_PROTOCOL;
    // Deno closes the request once it is upgraded: keep a copy of what we read later.
    const snapshot = new Request(request.url, { headers: new Headers(request.headers) });
    const { socket, response } = upgradeWebSocket(
      c.env?.upgradeWebSocket ?? options.upgrader,
      request,
      { protocol },
    );
    // `admit` (with the actor's onAuth) runs after the upgrade: hold the frames
    // the client sends meanwhile, as Deno drops events that have no listener yet.
    void serveSocket(snapshot, bufferMessages(socket), path, values);
    upgrades.add(response);
    return response;
  }

  async function serveSocket(
    request: Request,
    socket: SocketLike,
    path: string,
    values: ReturnType<typeof parseSocketProtocols>,
  ): Promise<void> {
    try {
      if (values.query === undefined) {
        throw publicError("invalid_query", 400, "WebSocket needs a sy.query sub-protocol");
      }
      const enc = parseEncoding(values.encoding);
      const headers = new Headers(request.headers);
      headers.set(HEADER_QUERY, JSON.stringify(values.query));
      const probe = new Request(request.url, { headers });
      const { record, auth, def } = await admit(
        manager,
        definitions,
        probe,
        "connect",
        values.params,
      );
      if (path.startsWith("/raw/websocket") && !def.config.onWebSocket) {
        throw publicError(
          "not_found",
          404,
          `Actor "${record.name}" does not handle raw WebSockets`,
        );
      }
      const h = actorHeaders(record.actorId, auth, forwardHeaders(request.headers));
      h.set(HEADER_ENCODING, enc);
      if (values.params !== undefined) h.set(HEADER_CONN_PARAMS, JSON.stringify(values.params));
      if (values.connId && values.connToken) {
        h.set(HEADER_CONN_ID, values.connId);
        h.set(HEADER_CONN_TOKEN, values.connToken);
        h.set(HEADER_LAST_SEQ, String(values.lastSeq ?? 0));
      }
      if (values.subs !== undefined) {
        h.set(HEADER_CONN_SUBS, JSON.stringify(parseOpeningSubs(values.subs)));
      }
      metrics.socketOpened();
      socket.addEventListener("close", () => metrics.socketClosed());
      await dispatch.websocket(
        record.actorId,
        new Request(`http://actor${path}`, { headers: h }),
        socket,
      );
    } catch (err) {
      if (!(err instanceof SwitchyardError && err.public)) {
        console.error("switchyard: internal error", err);
      }
      if (socket.readyState === 0) await new Promise((r) => socket.addEventListener("open", r));
      refuse({
        encoding: "json",
        bufferedAmount: 0,
        send: (f) => socket.readyState === 1 && socket.send(f),
        close: (code, reason) => socket.close(code, reason),
      }, err);
    }
  }

  app.get("/actors/connect/websocket", (c) => upgrade(c, "/connect/websocket"));
  // The message router's endpoint for outside clients.
  app.get("/messages", async (c) => {
    const request = c.req.raw;
    const messaging = options.messaging;
    if (!messaging?.auth) {
      throw publicError(
        "forbidden",
        403,
        "Messaging endpoint is off as no auth hook is configured",
      );
    }
    const encoding = parseEncoding(new URL(request.url).searchParams.get("encoding"));
    const grant = await messaging.auth(request);
    if (!grant) {
      throw publicError("forbidden", 403, "Messaging connection was refused by the auth hook");
    }
    // Deno closes the request once it is upgraded: actors' onAuth gets a copy.
    const snapshot = new Request(request.url, { headers: new Headers(request.headers) });
    const { socket, response } = upgradeWebSocket(
      c.env?.upgradeWebSocket ?? options.upgrader,
      request,
    );
    metrics.socketOpened();
    socket.addEventListener("close", () => metrics.socketClosed());
    serveMessagingSocket(messaging.router, socket, {
      identity: grant.identity,
      canAddress: grant.canAddress,
      admit: messagingAdmission(manager, definitions, snapshot),
      encoding,
      heartbeatTimeout: messaging.heartbeatTimeout,
      maxBufferedBytes: messaging.maxBufferedBytes,
    });
    upgrades.add(response);
    return response;
  });
  app.get("/actors/raw/websocket/*", (c) => {
    const url = new URL(c.req.url);
    return upgrade(
      c,
      "/raw/websocket" + (url.pathname.slice("/actors/raw/websocket".length) || "/") + url.search,
    );
  });

  // HTTP actions are the hot path: without CORS (whose middleware must run),
  // they skip Hono's dispatch and answer exactly as the route above would.
  const direct = !options.cors;
  async function viaHono(
    request: Request,
    env: { upgradeWebSocket?: Upgrader } | undefined,
  ): Promise<Response> {
    const res = await app.fetch(request, env);
    // Hosts whose upgrader cannot build a 101 Response (Node's adapter) still count as 101.
    metrics.request(upgrades.has(res) ? 101 : res.status);
    return res;
  }
  return {
    fetch(request, env) {
      const name = direct ? actionName(request) : undefined;
      return name !== undefined ? runHttpAction(request, name, true) : viaHono(request, env);
    },
  };
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
