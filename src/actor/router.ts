/**
 * The actor router: the endpoints inside an actor, reached only
 * through a driver. One router serves every actor of a process (the actor id
 * travels in `x-sy-actor-id`, set by the manager): a Hono app per actor would
 * cost kilobytes per idle actor for nothing. On Cloudflare each Durable Object
 * runs its own.
 *
 * `POST /action/:name` · `GET /connect/websocket` · `GET /connect/sse` ·
 * `POST /connections/message` · `ALL /raw/http/*` · `GET /raw/websocket/*` ·
 * `POST /messages/send|request` (messages forwarded from another process,
 * CBOR `{ from, data }`) · `GET /health`.
 *
 * @module
 */
import { Hono } from "hono";
import { readBody, utf8 } from "../common/body.ts";
import { decode, type Encoding, parseEncoding } from "../common/encoding.ts";
import { publicError } from "../common/errors.ts";
import { safeEqual } from "../common/ids.ts";
import { CONNECTING, frameData, type SocketLike } from "../common/socket.ts";
import {
  HEADER_ACTOR_ID,
  HEADER_AUTH,
  HEADER_CONN_ID,
  HEADER_CONN_PARAMS,
  HEADER_CONN_SUBS,
  HEADER_CONN_TOKEN,
  HEADER_ENCODING,
  HEADER_LAST_SEQ,
} from "../protocol/headers.ts";
import { decodeActionArgs, encodedResponse, errorResponse } from "../protocol/http.ts";
import { parseOpeningSubs } from "../protocol/messages.ts";
import { CLOSE_TOO_LARGE, type ConnSink, type ConnState } from "./conn.ts";
import { closeCodeFor, type OpenRequest, refuse } from "./connections.ts";
import type { ActorInstance } from "./instance.ts";
import { deliverMessage } from "./remote_messages.ts";
import type { ActorRouter } from "../driver/manager_driver.ts";

/** Options of {@linkcode createActorRouter}. */
export interface ActorRouterOptions {
  /** Loads (or wakes) an actor. */
  loadActor(actorId: string): Promise<ActorInstance>;
  /** Largest request body, bytes. */
  maxBodySize: number;
  /** Largest WebSocket frame, bytes. @default {maxBodySize} */
  maxMessageSize?: number;
}

function jsonHeader(request: Request, name: string): unknown {
  const v = request.headers.get(name);
  if (v === null) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    throw publicError("malformed_header", 400, `Header "${name}" is not valid JSON`);
  }
}

function actorIdOf(request: Request): string {
  const id = request.headers.get(HEADER_ACTOR_ID);
  if (!id) throw publicError("invalid_request", 400, `Header "${HEADER_ACTOR_ID}" is missing`);
  return id;
}

function openRequest(request: Request): OpenRequest {
  const req: OpenRequest = {
    params: jsonHeader(request, HEADER_CONN_PARAMS),
    auth: jsonHeader(request, HEADER_AUTH),
    request,
  };
  const subs = jsonHeader(request, HEADER_CONN_SUBS);
  if (subs !== undefined) req.subs = parseOpeningSubs(subs);
  const connId = request.headers.get(HEADER_CONN_ID);
  const token = request.headers.get(HEADER_CONN_TOKEN);
  if (connId && token) {
    const lastSeq = Number(request.headers.get(HEADER_LAST_SEQ) ?? 0);
    req.resume = {
      connId,
      token,
      lastSeq: Number.isSafeInteger(lastSeq) && lastSeq >= 0 ? lastSeq : 0,
    };
  }
  return req;
}

/** A WebSocket as a connection sink. */
function socketSink(socket: SocketLike, encoding: Encoding): ConnSink {
  return {
    encoding,
    get bufferedAmount() {
      return socket.bufferedAmount ?? 0;
    },
    send(frame) {
      if (socket.readyState !== 1) return;
      try {
        socket.send(frame);
      } catch { /* closing */ }
    },
    close(code, reason) {
      try {
        socket.close(code, reason);
      } catch { /* closed */ }
    },
  };
}

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
};

/**
 * Builds the actor router.
 *
 * @param options How to load actors and the size limits.
 * @returns The router.
 */
export function createActorRouter(options: ActorRouterOptions): ActorRouter {
  const { loadActor, maxBodySize } = options;
  const maxMessageSize = options.maxMessageSize ?? maxBodySize;
  const app = new Hono();
  const te = new TextEncoder();

  app.onError((err, c) => {
    let enc: Encoding = "json";
    try {
      enc = parseEncoding(c.req.header(HEADER_ENCODING));
    } catch { /* answer the encoding error in JSON */ }
    return errorResponse(err, enc);
  });
  app.notFound(() => errorResponse(publicError("not_found", 404, "Route is not found")));

  app.get("/health", () => new Response("ok"));

  app.post("/action/:name", async (c) => {
    const request = c.req.raw;
    const enc = parseEncoding(request.headers.get(HEADER_ENCODING));
    const args = decodeActionArgs(await readBody(request, maxBodySize), enc);
    const auth = jsonHeader(request, HEADER_AUTH);
    const actor = await loadActor(actorIdOf(request));
    const output = await actor.runAction(c.req.param("name"), args, { auth });
    return encodedResponse({ output }, 200, enc);
  });

  app.post("/messages/:kind", async (c) => {
    const request = c.req.raw;
    const body = decode(await readBody(request, maxBodySize));
    const actor = await loadActor(actorIdOf(request));
    const output = await deliverMessage(actor, c.req.param("kind"), body);
    return encodedResponse({ output }, 200, "cbor");
  });

  app.get("/connect/sse", async (c) => {
    const request = c.req.raw;
    parseEncoding(request.headers.get(HEADER_ENCODING));
    const open = openRequest(request);
    const actor = await loadActor(actorIdOf(request));
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const opened: { conn?: ConnState } = {};
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        controller = ctl;
      },
      cancel() {
        if (opened.conn) actor.connections.dropped(opened.conn, sink, 1006);
      },
    }, { highWaterMark: 0, size: (chunk) => chunk.byteLength }); // desiredSize: minus the bytes unread
    const sink: ConnSink = {
      encoding: "json",
      get bufferedAmount() {
        return -(controller.desiredSize ?? 0);
      },
      send(frame) {
        try {
          controller.enqueue(te.encode(`data: ${frame as string}\n\n`));
        } catch { /* cancelled */ }
      },
      close(code, reason) {
        // An SSE stream cannot carry a close code: say it in a `close` event first, so the
        // client can tell an ending from a dropped stream (which it resumes).
        try {
          controller.enqueue(
            te.encode(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`),
          );
          controller.close();
        } catch { /* closed */ }
      },
    };
    opened.conn = await actor.connections.open(sink, open);
    return new Response(stream, {
      headers: { ...SSE_HEADERS, [HEADER_ACTOR_ID]: actor.record.actorId },
    });
  });

  app.post("/connections/message", async (c) => {
    const request = c.req.raw;
    const connId = request.headers.get(HEADER_CONN_ID);
    const token = request.headers.get(HEADER_CONN_TOKEN);
    if (!connId || !token) {
      throw publicError("invalid_request", 400, "Connection id and token headers are required");
    }
    const bytes = await readBody(request, maxBodySize);
    const enc = parseEncoding(request.headers.get(HEADER_ENCODING));
    const actor = await loadActor(actorIdOf(request));
    const conn = actor.connections.live.get(connId);
    if (!conn || conn.closed) {
      throw publicError("connection_not_found", 404, "Connection is not found");
    }
    if (!safeEqual(conn.token, token)) {
      throw publicError("invalid_token", 401, "Connection token is invalid");
    }
    const sink = conn.sink;
    if (!sink) throw publicError("connection_not_found", 404, "Connection has no open stream");
    void actor.connections.receive(conn, sink, enc === "cbor" ? bytes : utf8(bytes));
    return new Response(null, { status: 202 });
  });

  app.all("/raw/http/*", async (c) => {
    const request = c.req.raw;
    const url = new URL(request.url);
    const rest = url.pathname.slice("/raw/http".length) || "/";
    const inner = new Request(new URL(rest + url.search, url.origin), request);
    const auth = jsonHeader(request, HEADER_AUTH);
    const actor = await loadActor(actorIdOf(request));
    return await actor.fetch(inner, auth);
  });

  async function websocket(request: Request, socket: SocketLike): Promise<void> {
    socket.binaryType = "arraybuffer";
    const reqUrl = new URL(request.url);
    const path = reqUrl.pathname;
    const early: Array<string | Uint8Array> = [];
    let onFrame: ((data: string | Uint8Array) => void) | undefined;
    const opened = socket.readyState === CONNECTING
      ? new Promise((resolve) => socket.addEventListener("open", resolve))
      : undefined;
    let sink: ConnSink | undefined;
    try {
      const enc = parseEncoding(request.headers.get(HEADER_ENCODING));
      sink = socketSink(socket, enc);
      if (path.startsWith("/raw/websocket")) {
        const actor = await loadActor(actorIdOf(request));
        if (opened) await opened;
        const inner = new Request(
          new URL((path.slice("/raw/websocket".length) || "/") + reqUrl.search, request.url),
          {
            headers: request.headers,
          },
        );
        await actor.rawWebSocket(
          socket,
          inner,
          jsonHeader(request, HEADER_CONN_PARAMS),
          jsonHeader(request, HEADER_AUTH),
        );
        return;
      }
      if (path !== "/connect/websocket") throw publicError("not_found", 404, "Route is not found");
      const open = openRequest(request);
      socket.addEventListener("message", (ev) => {
        const data = frameData(ev.data);
        if (data === undefined) return;
        if (onFrame) onFrame(data);
        else early.push(data);
      });
      const actor = await loadActor(actorIdOf(request));
      if (opened) await opened;
      const s = sink;
      const conn = await actor.connections.open(s, open);
      socket.addEventListener("close", (ev) => actor.connections.dropped(conn, s, ev.code));
      onFrame = (data) => {
        const size = typeof data === "string" ? data.length : data.byteLength;
        if (size > maxMessageSize) {
          conn.flush(); // queued events go before the error
          s.send(
            JSON.stringify({
              t: "error",
              code: "message_too_large",
              message: `Message is larger than ${maxMessageSize} bytes`,
              status: 413,
            }),
          );
          s.close(CLOSE_TOO_LARGE, "message_too_large");
          return;
        }
        void actor.connections.receive(conn, s, data);
      };
      for (const d of early.splice(0)) onFrame(d);
      if (socket.readyState > 1) actor.connections.dropped(conn, s, 1006);
    } catch (err) {
      if (opened) await opened;
      refuse(sink ?? socketSink(socket, "json"), err);
      void closeCodeFor;
    }
  }

  return {
    fetch: (request) => Promise.resolve(app.fetch(request)),
    websocket,
  };
}
