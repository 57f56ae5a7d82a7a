/**
 * The manager router's WebSocket routes: `GET /actors/connect/websocket`,
 * `GET /actors/raw/websocket/*` and the message router's `GET /messages`.
 * A handshake is checked before the upgrade (bad ones get a coded 4xx); the
 * actor's `onAuth` runs after it, while the frames the client sends are held.
 *
 * @module
 */
import { parseEncoding } from "../common/encoding.ts";
import { publicError, SwitchyardError } from "../common/errors.ts";
import type { SocketLike } from "../common/socket.ts";
import { bufferMessages } from "../common/buffered_socket.ts";
import { refuse } from "../actor/connections.ts";
import {
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
import { parseOpeningSubs } from "../protocol/messages.ts";
import { checkHandshake, type Upgrader, upgradeWebSocket } from "../runtime/upgrade.ts";
import { serveMessagingSocket } from "../messaging/messaging_socket.ts";
import { actorHeaders, admit } from "./admission.ts";
import { forwardHeaders } from "./actor_routes.ts";
import { messagingAdmission } from "./messaging_admission.ts";
import type { ManagerApp, RoutesContext } from "./routes_context.ts";

/**
 * Mounts the WebSocket routes.
 *
 * @param app The manager router's app.
 * @param ctx What the routes share.
 */
export function mountSocketRoutes(app: ManagerApp, ctx: RoutesContext): void {
  const { manager, definitions, dispatch, metrics, options, upgrades } = ctx;

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
  app.get("/actors/raw/websocket/*", (c) => {
    const url = new URL(c.req.url);
    return upgrade(
      c,
      "/raw/websocket" + (url.pathname.slice("/actors/raw/websocket".length) || "/") + url.search,
    );
  });

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
}
