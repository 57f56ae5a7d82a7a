/**
 * The Durable Object class of the Cloudflare driver: one object per actor.
 * Each object runs a server of its own over the registry, whose driver
 * hosts the object's actor: the actor router serves the requests the
 * Worker's driver sends, connections are accepted with the hibernation API,
 * and the object's alarm runs the actor's scheduled actions.
 *
 * In an object every actor type is `durable` (an action answers once the
 * state it changed is in storage) and never sleeps on a timer (the platform
 * evicts idle objects; the state is already stored).
 *
 * @module
 */
import { ActorDefinition } from "../src/actor/definition.ts";
import type { ActorInstance } from "../src/actor/instance.ts";
import { deadlines } from "../src/common/deadlines.ts";
import { decodeCbor } from "../src/common/encoding.ts";
import { readBody } from "../src/common/body.ts";
import { actorNotFound, HEADER_ACTOR_ID, type LoadedActor } from "../src/driver/mod.ts";
import { parseSocketProtocols, WS_PROTOCOL } from "../src/protocol/headers.ts";
import { errorResponse } from "../src/protocol/http.ts";
import type { AnyActorDefinition } from "../src/actor/definition.ts";
import { Registry, type ServerOptions } from "../src/registry/registry.ts";
import {
  CloudflareDriver,
  type CloudflareDriverOptions,
  RECORD_PATH,
  type RecordOp,
  recordResponse,
} from "./_cf_driver.ts";
import { restoreConnections, trackConnection } from "./_cf_hibernation.ts";
import {
  HibernatingSocket,
  newWebSocketPair,
  replyToClose,
  upgradeResponse,
} from "./_cf_sockets.ts";
import type { DurableObjectStateLike, WorkersWebSocketLike } from "./_cf_types.ts";

/** What the handler's options give every object. */
export interface ObjectSetup {
  /** The user's registry. */
  registry: Registry;
  /** Server options (without the driver). */
  server: Omit<ServerOptions, "driver">;
  /** The namespace binding of an environment. */
  namespace: (env: unknown) => CloudflareDriverOptions["namespace"];
}

/** The Durable Object class `createHandler` returns. */
export interface ActorDurableObjectClass {
  /** Made by the runtime, once per object activation. */
  new (state: DurableObjectStateLike, env: unknown): {
    fetch(request: Request): Promise<Response>;
    webSocketMessage(ws: WorkersWebSocketLike, message: string | ArrayBuffer): Promise<void>;
    webSocketClose(ws: WorkersWebSocketLike, code: number, reason: string): Promise<void>;
    webSocketError(ws: WorkersWebSocketLike, error: unknown): Promise<void>;
    alarm(): Promise<void>;
  };
}

function hostedRegistry(registry: Registry): Registry {
  const use: Record<string, AnyActorDefinition> = {};
  for (const [name, def] of Object.entries(registry.actors)) {
    const config = def.config;
    use[name] = new ActorDefinition({
      ...config,
      // No server-side heartbeat: its timer would keep the object from hibernating. The
      // platform closes dead sockets, and client pings are answered without waking the
      // object (the auto-response set in the constructor).
      options: { ...config.options, durable: true, sleepTimeout: 0, heartbeatTimeout: 0 },
    });
  }
  return new Registry(use);
}

const DEFAULT_MAX_MESSAGE = 1024 * 1024;

/**
 * Answers a JSON client's heartbeat ping (`{"t":"ping"}`) with `{"t":"pong"}`
 * without waking a hibernated object, where the platform offers it.
 */
function autoRespondToPings(state: DurableObjectStateLike): void {
  const Pair = (globalThis as {
    WebSocketRequestResponsePair?: new (request: string, response: string) => unknown;
  }).WebSocketRequestResponsePair;
  if (Pair && state.setWebSocketAutoResponse) {
    state.setWebSocketAutoResponse(new Pair('{"t":"ping"}', '{"t":"pong"}'));
  }
}

/**
 * Builds the Durable Object class for a registry.
 *
 * @param setup The registry, server options and binding.
 * @returns The class to export from the Worker's module.
 */
export function actorObjectClass(setup: ObjectSetup): ActorDurableObjectClass {
  let hosted: Registry | undefined;
  const maxMessage = setup.server.maxBodySize ?? DEFAULT_MAX_MESSAGE;
  return class ActorDurableObject {
    #state: DurableObjectStateLike;
    #driver!: CloudflareDriver;
    #selfId: string;
    #instance: ActorInstance | undefined;
    #sockets = new WeakMap<WorkersWebSocketLike, HibernatingSocket>();

    constructor(state: DurableObjectStateLike, env: unknown) {
      deadlines.ownTimers = true; // see createHandler
      this.#state = state;
      autoRespondToPings(state);
      this.#selfId = state.id.toString();
      hosted ??= hostedRegistry(setup.registry);
      hosted.createServer({
        ...setup.server,
        driver: {
          name: "cloudflare",
          create: (context) => {
            this.#driver = new CloudflareDriver(context, {
              namespace: setup.namespace(env),
              self: state,
              onStarted: (instance) => this.#started(instance),
            });
            return { manager: this.#driver, actor: this.#driver, durableByDefault: true };
          },
        },
      });
    }

    /** A fresh instance: rebuild the connections of sockets that outlived the last one. */
    #started(instance: LoadedActor): void {
      const actor = this.#instance = instance as ActorInstance;
      const orphans = [];
      for (const ws of this.#state.getWebSockets()) {
        if (this.#sockets.has(ws)) continue;
        const socket = new HibernatingSocket(ws);
        this.#sockets.set(ws, socket);
        orphans.push({ ws, socket });
      }
      if (orphans.length) restoreConnections(actor, orphans, maxMessage, () => this.#instance);
    }

    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      try {
        if (url.pathname === RECORD_PATH && request.method === "POST") {
          const op = decodeCbor(await readBody(request, 1024 * 1024)) as RecordOp;
          return await recordResponse(() => this.#driver.recordOp(op));
        }
        if (request.headers.get(HEADER_ACTOR_ID) !== this.#selfId) throw actorNotFound();
        if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
          return this.#accept(request, url.pathname);
        }
        return await this.#driver.sendRequest(this.#selfId, request);
      } catch (err) {
        return errorResponse(err);
      }
    }

    #accept(request: Request, path: string): Response {
      const offered = request.headers.get("sec-websocket-protocol");
      let protocol: string | undefined;
      if (offered) {
        const values = parseSocketProtocols(offered);
        protocol = path.startsWith("/raw/") && values.other.length ? values.other[0] : WS_PROTOCOL;
      }
      const [client, ws] = newWebSocketPair();
      if (path === "/connect/websocket") {
        // Hibernation API: an idle connection does not keep the object in memory.
        this.#state.acceptWebSocket(ws);
        const socket = new HibernatingSocket(ws);
        this.#sockets.set(ws, socket);
        trackConnection(socket, () => this.#instance);
        void this.#driver.websocket(request, socket);
      } else {
        // Raw sockets belong to `onWebSocket`'s listeners: they keep the object in memory.
        ws.accept();
        replyToClose(ws);
        void this.#driver.websocket(request, ws);
      }
      return upgradeResponse(client, protocol);
    }

    async #socketFor(ws: WorkersWebSocketLike): Promise<HibernatingSocket | undefined> {
      const known = this.#sockets.get(ws);
      if (known) return known;
      try {
        await this.#driver.loadActor(this.#selfId); // rebuilds hibernated connections
      } catch (err) {
        console.error("switchyard: actor did not load for a hibernated socket", String(err));
      }
      return this.#sockets.get(ws);
    }

    async webSocketMessage(ws: WorkersWebSocketLike, message: string | ArrayBuffer) {
      const socket = await this.#socketFor(ws);
      if (socket) socket.dispatch("message", { data: message });
      else ws.close(1011, "Connection is lost");
    }

    async webSocketClose(ws: WorkersWebSocketLike, code: number, reason: string) {
      const socket = await this.#socketFor(ws);
      socket?.dispatch("close", { code, reason });
      try {
        ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
      } catch { /* closed */ }
    }

    async webSocketError(ws: WorkersWebSocketLike, _error: unknown) {
      const socket = await this.#socketFor(ws);
      socket?.dispatch("close", { code: 1006, reason: "" });
    }

    async alarm(): Promise<void> {
      await this.#driver.fireAlarm();
    }
  };
}
