/**
 * The manager router (Hono): the public endpoints of DESIGN.md §1. For every
 * request it reads the actor query, runs the actor type's `onAuth` with the
 * request's intents, resolves the actor id through the `ManagerDriver`, builds
 * a fresh standard `Request` for the actor router and hands it (or the
 * upgraded WebSocket) to `proxyRequest` / `proxyWebSocket`.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { readBody, readJson } from "../common/body.ts";
import { parseEncoding } from "../common/encoding.ts";
import { publicError, SwitchyardError } from "../common/errors.ts";
import type { SocketLike } from "../common/socket.ts";
import { bufferMessages } from "../common/buffered_socket.ts";
import type { AnyActorDefinition, Intent } from "../actor/definition.ts";
import { refuse } from "../actor/connections.ts";
import {
  HEADER_ACTOR_ID,
  HEADER_AUTH,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
  HEADER_QUERY,
  parseSocketProtocols,
  WS_PROTOCOL,
} from "../protocol/headers.ts";
import { actionArgs, decodeActionArgs, encodedResponse, errorResponse } from "../protocol/http.ts";
import { type ActorQuery, parseQuery, queryName } from "../protocol/query.ts";
import type { Upgrader } from "../runtime/upgrade.ts";
import type { ManagerDriver } from "./driver.ts";
import { assertActorType, queryIntents, resolveQuery } from "./resolve.ts";
import type { Metrics } from "../registry/metrics.ts";
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
   * Run HTTP actions on the driver's same-process instance (`local()`) instead
   * of proxying a `Request` to the actor router. Both answer the same.
   * @default {true}
   */
  localActions?: boolean;
  /** The message router and the auth hook of `GET /messages` (off without `auth`). */
  messaging?: { router: MessageRouter; auth?: MessagingAuth };
}

/** The manager router: `fetch(request, env)`; `env.upgradeWebSocket` overrides the upgrader. */
export interface ManagerRouter {
  /** Serves one request. */
  fetch(request: Request, env?: { upgradeWebSocket?: Upgrader }): Promise<Response>;
}

function jsonHeader(request: Request, name: string, code: string): unknown {
  const v = request.headers.get(name);
  if (v === null) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    throw publicError(code, 400, `Header "${name}" is not valid JSON`);
  }
}

/**
 * Parsed actor queries by header text. Clients repeat the same query for
 * every call to a handle, so a hit skips a JSON parse and the validation.
 * Only queries without `input` are kept (a record may hold the input object),
 * and the cache starts over when full.
 */
const queryCache = new Map<string, ActorQuery>();
const QUERY_CACHE_SIZE = 1024;

function readQuery(request: Request): ActorQuery {
  const raw = request.headers.get(HEADER_QUERY);
  if (raw === null) throw publicError("invalid_query", 400, `Header "${HEADER_QUERY}" is missing`);
  const hit = queryCache.get(raw);
  if (hit) return hit;
  const query = parseQuery(jsonHeader(request, HEADER_QUERY, "invalid_query"));
  const body = Object.values(query)[0] as { input?: unknown };
  if (body.input === undefined && raw.length <= 1024) {
    if (queryCache.size >= QUERY_CACHE_SIZE) queryCache.clear();
    // Shared between requests from now on, so frozen.
    if ("key" in body) Object.freeze(body.key);
    queryCache.set(raw, Object.freeze(query));
    Object.freeze(body);
  }
  return query;
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

const ACTIONS_PATH = "/actors/actions/";

/**
 * The action name of a `POST /actors/actions/:name` request, decoded as Hono
 * decodes route params; `undefined` for any other request.
 */
function actionName(request: Request): string | undefined {
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

/**
 * Builds the manager router.
 *
 * @param options Driver, definitions and settings.
 * @returns The router.
 */
export function createManagerRouter(options: ManagerRouterOptions): ManagerRouter {
  const { manager, definitions, maxBodySize, metrics } = options;
  /** Responses of accepted upgrades, counted as 101 whatever status the host's upgrader gave. */
  const upgrades = new WeakSet<Response>();
  const local = options.localActions === false ? undefined : manager.local?.bind(manager);
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
        ],
        exposeHeaders: [HEADER_ACTOR_ID],
      }),
    );
  }

  /** Reads the query, runs onAuth, resolves the actor. */
  async function admit(request: Request, intent: Intent | undefined, params?: unknown) {
    const query = readQuery(request);
    const name = queryName(query);
    const def = definitions[name];
    assertActorType(def !== undefined && Object.hasOwn(definitions, name), name);
    const onAuth = def!.config.onAuth;
    if (!onAuth) {
      throw publicError(
        "forbidden",
        403,
        `Actor "${name}" is not reachable from outside as it has no onAuth`,
      );
    }
    let auth: unknown;
    // A message post is authenticated by the connection token, checked by the actor router;
    // `onAuth` already ran (with the connection's params) when the connection opened.
    if (intent !== "message") {
      const intents = new Set<Intent>(queryIntents(query));
      if (intent) intents.add(intent);
      auth = await onAuth({ request, intents }, params);
      if (auth === false) {
        throw publicError("forbidden", 403, `Access to actor "${name}" is denied`);
      }
    }
    const record = await resolveQuery(manager, query);
    return { record, auth, def: def! };
  }

  function actorHeaders(actorId: string, auth: unknown, base?: Headers): Headers {
    const h = base ?? new Headers();
    h.set(HEADER_ACTOR_ID, actorId);
    if (auth !== undefined) h.set(HEADER_AUTH, JSON.stringify(auth));
    return h;
  }

  app.get("/health", () => Response.json({ status: "ok" }));
  app.get(
    "/metrics",
    () =>
      new Response(metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } }),
  );

  app.get("/actors", async (c) => {
    const token = options.operatorToken;
    if (!token || c.req.header("authorization") !== `Bearer ${token}`) {
      throw publicError("forbidden", 403, "Listing actors needs the operator token");
    }
    const limit = Number(c.req.query("limit") ?? 100);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      throw publicError("invalid_request", 400, 'Query parameter "limit" must be 1 to 10000');
    }
    const name = c.req.query("name");
    return Response.json({ actors: await manager.listActors({ name, limit }) });
  });

  app.post("/actors/resolve", async (c) => {
    const { record } = await admit(c.req.raw, undefined);
    return withActorId(Response.json({ actorId: record.actorId }), record.actorId);
  });

  async function runHttpAction(request: Request, name: string): Promise<Response> {
    const enc = parseEncoding(request.headers.get(HEADER_ENCODING));
    if (local) {
      // Same-process fast path: the action runs on the local instance, with
      // the body decoded once and no inner Request. It answers exactly what the
      // actor router's `POST /action/:name` would (the conformance suite runs
      // the remote clients over both, see tests/memory_driver_test.ts). JSON is
      // parsed as it is read (Deno.serve's whole-body fast path).
      const body = enc === "json"
        ? await readJson(request, maxBodySize)
        : await readBody(request, maxBodySize);
      const { record, auth } = await admit(request, "action");
      try {
        const args = enc === "json" ? actionArgs(body) : decodeActionArgs(body as Uint8Array, enc);
        const actor = await local(record.actorId);
        const output = await actor.runAction(name, args, {
          auth: auth === undefined ? undefined : JSON.parse(JSON.stringify(auth)),
        });
        // Only `content-type`: any other header takes Deno.serve off its fast
        // path for static responses (~10 µs per request measured), so action
        // answers carry no `x-sy-actor-id` (resolve, SSE and raw answers do).
        return encodedResponse({ output }, 200, enc);
      } catch (err) {
        return errorResponse(err, enc);
      }
    }
    const body = await readBody(request, maxBodySize);
    const { record, auth } = await admit(request, "action");
    const headers = actorHeaders(record.actorId, auth);
    headers.set(HEADER_ENCODING, enc);
    const url = `http://actor/action/${encodeURIComponent(name)}`;
    return await manager.proxyRequest(
      new Request(url, { method: "POST", headers, body }),
      record.actorId,
    );
  }
  app.post("/actors/actions/:name", (c) => runHttpAction(c.req.raw, c.req.param("name")));

  app.get("/actors/connect/sse", async (c) => {
    const request = c.req.raw;
    parseEncoding(request.headers.get(HEADER_ENCODING));
    const params = jsonHeader(request, HEADER_CONN_PARAMS, "malformed_header");
    const { record, auth } = await admit(request, "connect", params);
    const headers = actorHeaders(record.actorId, auth);
    for (
      const h of [
        HEADER_ENCODING,
        HEADER_CONN_PARAMS,
        HEADER_CONN_ID,
        HEADER_CONN_TOKEN,
        HEADER_LAST_SEQ,
      ]
    ) {
      const v = request.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    const res = await manager.proxyRequest(
      new Request("http://actor/connect/sse", { headers, signal: request.signal }),
      record.actorId,
    );
    return withActorId(res, record.actorId);
  });

  app.post("/actors/message", async (c) => {
    const request = c.req.raw;
    const body = await readBody(request, maxBodySize);
    const { record, auth } = await admit(request, "message");
    const headers = actorHeaders(record.actorId, auth);
    for (const h of [HEADER_ENCODING, HEADER_CONN_ID, HEADER_CONN_TOKEN]) {
      const v = request.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    const req = new Request("http://actor/connections/message", { method: "POST", headers, body });
    return await manager.proxyRequest(req, record.actorId);
  });

  app.all("/actors/raw/http/*", async (c) => {
    const request = c.req.raw;
    const { record, auth } = await admit(request, "action");
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
    const res = await manager.proxyRequest(
      new Request(`http://actor/raw/http${rest}${url.search}`, init),
      record.actorId,
    );
    return withActorId(res, record.actorId);
  });

  function upgrade(
    c: { req: { raw: Request }; env: { upgradeWebSocket?: Upgrader } | undefined },
    path: string,
  ) {
    const request = c.req.raw;
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw publicError("upgrade_required", 426, "Expected a WebSocket upgrade");
    }
    const upgrader = c.env?.upgradeWebSocket ?? options.upgrader;
    if (!upgrader) {
      throw publicError("websocket_unsupported", 501, "This host cannot accept WebSockets");
    }
    const values = parseSocketProtocols(request.headers.get("sec-websocket-protocol"));
    const raw = path.startsWith("/raw/");
    const protocol = raw && values.other.length ? values.other[0] : WS_PROTOCOL;
    // Deno closes the request once it is upgraded: keep a copy of what we read later.
    const snapshot = new Request(request.url, { headers: new Headers(request.headers) });
    const { socket, response } = upgrader(request, { protocol });
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
      const { record, auth, def } = await admit(probe, "connect", values.params);
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
      metrics.socketOpened();
      socket.addEventListener("close", () => metrics.socketClosed());
      await manager.proxyWebSocket(
        new Request(`http://actor${path}`, { headers: h }),
        record.actorId,
        socket,
      );
    } catch (err) {
      if (!(err instanceof SwitchyardError && err.public)) {
        console.error("switchyard: internal error", err);
      }
      if (socket.readyState === 0) await new Promise((r) => socket.addEventListener("open", r));
      refuse({
        encoding: "json",
        send: (f) => socket.readyState === 1 && socket.send(f),
        close: (code, reason) => socket.close(code, reason),
      }, err);
    }
  }

  app.get("/actors/connect/websocket", (c) => upgrade(c, "/connect/websocket"));
  // --- messaging (issue 4): the message router's endpoint for outside clients ---
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
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw publicError("upgrade_required", 426, "Expected a WebSocket upgrade");
    }
    const upgrader = c.env?.upgradeWebSocket ?? options.upgrader;
    if (!upgrader) {
      throw publicError("websocket_unsupported", 501, "This host cannot accept WebSockets");
    }
    const { socket, response } = upgrader(request, {});
    metrics.socketOpened();
    socket.addEventListener("close", () => metrics.socketClosed());
    serveMessagingSocket(messaging.router, socket, {
      identity: grant.identity,
      canAddress: grant.canAddress,
      encoding,
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
  return {
    async fetch(request, env) {
      let res: Response;
      const name = direct ? actionName(request) : undefined;
      if (name !== undefined) {
        try {
          res = await runHttpAction(request, name);
        } catch (err) {
          res = onError(err, request);
        }
      } else res = await app.fetch(request, env);
      // Hosts whose upgrader cannot build a 101 Response (Node's adapter) still count as 101.
      metrics.request(upgrades.has(res) ? 101 : res.status);
      return res;
    },
  };
}
